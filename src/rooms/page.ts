// GET / : a plain chat page with no external resources. It speaks the article's protocol plus
// history, so it also shows what an article client sees.
export const chatPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>roomkit chat</title>
<style>
  body { font: 16px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 40rem; padding: 1rem; }
  #log { list-style: none; padding: 0; min-height: 12rem; border: 1px solid #ccc; border-radius: 6px; overflow-y: auto; max-height: 60vh; }
  #log li { padding: .25rem .5rem; border-bottom: 1px solid #eee; }
  form { display: flex; gap: .5rem; flex-wrap: wrap; }
  input { font: inherit; padding: .4rem; }
  #message { flex: 1 1 12rem; }
</style>
</head>
<body>
<h1>roomkit chat</h1>
<p>Room <strong id="room"></strong> — <span id="status" role="status">connecting…</span></p>
<ul id="log" aria-live="polite"></ul>
<form id="form">
  <label>Name <input id="user" required maxlength="64" autocomplete="nickname"></label>
  <input id="message" required maxlength="4096" placeholder="Message" aria-label="Message">
  <button>Send</button>
</form>
<script>
  const params = new URLSearchParams(location.search);
  const room = params.get("room") || "global-chat-room";
  document.getElementById("room").textContent = room;
  const path = params.get("room") ? "/rooms/" + encodeURIComponent(room) + "/ws" : "/ws";
  const log = document.getElementById("log"), status = document.getElementById("status");
  const user = document.getElementById("user");
  user.value = localStorage.getItem("roomkit-user") || "guest-" + Math.floor(Math.random() * 1000);
  let socket, lastSeq = 0;
  function show(text) { const li = document.createElement("li"); li.textContent = text; log.append(li); log.scrollTop = log.scrollHeight; }
  function connect() {
    const url = new URL(path, location.href); url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    if (lastSeq) url.searchParams.set("since", String(lastSeq));
    socket = new WebSocket(url);
    socket.onopen = () => { status.textContent = "connected"; };
    socket.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (typeof data.seq === "number") { if (data.seq <= lastSeq) return; lastSeq = data.seq; }
      show(data.user + ": " + data.message);
    };
    socket.onclose = () => { status.textContent = "reconnecting in 2s"; setTimeout(connect, 2000); };
  }
  document.getElementById("form").onsubmit = (event) => {
    event.preventDefault();
    const input = document.getElementById("message");
    if (!socket || socket.readyState !== 1) return;
    localStorage.setItem("roomkit-user", user.value);
    socket.send(JSON.stringify({ user: user.value, message: input.value }));
    show(user.value + ": " + input.value);
    input.value = "";
  };
  connect();
</script>
</body>
</html>
`;
