// How the test worker names things, shared by the worker (in workerd) and its handle (in Node):
// one Durable Object binding and one exported class per room type of the fixture app.
export const bindingFor = (type: string): string => `ROOM_${type.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
export const classFor = (type: string): string => `Room_${type.replace(/[^A-Za-z0-9]/g, "_")}`;
