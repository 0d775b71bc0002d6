// Shared by the console and the dashboard: the token, the API, the event stream, the clock.
"use strict";

const TOKEN = decodeURIComponent(location.pathname.split("/").pop());

function h(tag, attrs, ...children) {
  // A DOM element; text goes through textContent, never innerHTML.
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

function fill(id, ...children) {
  const node = document.getElementById(id);
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
  return node;
}

async function api(method, path, body) {
  // {ok, status, data}; status 0 when the server could not be reached.
  try {
    const response = await fetch(path, {
      method,
      headers: { Authorization: "Bearer " + TOKEN, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data };
  } catch (err) {
    return { ok: false, status: 0, data: { error: { message: "server unreachable 无法连接服务器" } } };
  }
}

function subscribe(onState) {
  // Server-sent events; the browser reconnects by itself after a restart of the server.
  const link = document.getElementById("link");
  const source = new EventSource("/api/events?token=" + encodeURIComponent(TOKEN));
  source.addEventListener("state", (event) => {
    link.textContent = "● connected 已连接";
    link.className = "link ok";
    onState(JSON.parse(event.data));
  });
  source.onerror = () => {
    link.textContent = "○ reconnecting 重新连接中…";
    link.className = "link lost";
  };
  return source;
}

function clockText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  return Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
}

const STATUS = { ready: "未开始 ready", running: "进行中 running", paused: "暂停 paused", ended: "结束 ended" };

const Clock = {
  // Runs the server's drill time on between pushes while the drill runs.
  view: null, at: 0,
  set(view) { this.view = view; this.at = performance.now(); },
  now() {
    if (!this.view) return 0;
    if (this.view.status !== "running") return this.view.drill_s;
    const run = ((performance.now() - this.at) / 1000) * this.view.speed;
    return Math.min(this.view.duration_s, this.view.drill_s + run);
  },
  start(render) { setInterval(() => render(this.now()), 250); },
};

function phaseLabel(phases, index) {
  const p = phases[index];
  return p ? p.label_zh + " " + p.label_en : "—";
}
