// GET / : the chat page. Its source is examples/chat/page/ (HTML, CSS and a script using roomkit/client);
// scripts/build-page.ts bundles it into page.generated.ts, which both runtimes serve as is.
export { chatPage } from "./page.generated.ts";
