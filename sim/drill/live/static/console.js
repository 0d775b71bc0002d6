// The trainee's console: the ringing call, the decision form, the queue, what is done.
"use strict";

let state = null;
let choices = null;
let current = null; // inject id the form is for
const pending = JSON.parse(localStorage.getItem("pending:" + TOKEN) || "{}");

function newId() {
  // crypto.randomUUID needs a secure context; a training-room LAN over http is not one.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function option(value, text) {
  return h("option", { value }, text);
}

function fillChoices() {
  fill("handling", option("", "— 选择 choose —"),
       choices.handlings.map((x) => option(x.code, x.zh + " · " + x.en)));
  fill("target_line", option("", "— 选择 choose —"), choices.target_lines.map((l) => option(l, l)));
  fill("first_dispatch", option("", "无 none"), choices.first_dispatch.map((l) => option(l, l)));
  filterCategories("");
}

function filterCategories(text) {
  const words = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const keep = choices.categories.filter((c) => {
    const hay = (c.code + " " + c.zh + " " + c.en).toLowerCase();
    return words.every((w) => hay.includes(w));
  });
  const chosen = document.getElementById("category").value;
  fill("category", keep.map((c) => option(c.code, c.code + " · " + c.zh + " · " + c.en)));
  document.getElementById("category").value = chosen;
}

function callCard(call, ringing) {
  return h("div", { class: "call" + (ringing ? " ringing" : ""), "data-inject": call.inject_id },
    h("div", { class: "meta" }, "#" + call.inject_id + " · " + call.clock + " · 拨打 dials " + call.line +
      " · " + call.region_name + " · " + call.persona + " (" + call.emotion + ")"),
    h("p", { class: "opening" }, call.opening));
}

function render(s) {
  state = s;
  Clock.set(s.clock);
  document.getElementById("trainee").textContent = s.trainee;
  document.getElementById("status").textContent = STATUS[s.clock.status];
  document.getElementById("phase").textContent = phaseLabel(s.phases, s.clock.phase);
  const ringing = s.calls.filter((c) => c.status === "ringing");
  const head = ringing[0] || null;
  if (!head) fill("current", h("p", { class: "muted" }, s.clock.status === "ended"
    ? "演练结束 The drill is over." : "等待来电 Waiting for a call…"));
  else fill("current", callCard(head, true));
  if ((head ? head.inject_id : null) !== current) resetForm(head);
  document.getElementById("queue-count").textContent = Math.max(0, ringing.length - 1);
  fill("queue", ringing.slice(1).map((c) => h("li", { "data-inject": c.inject_id },
    "#" + c.inject_id + " " + c.line + " · " + c.region_name + " · " + c.persona)));
  fill("history", s.calls.filter((c) => c.status !== "ringing").reverse().map((c) =>
    h("li", { "data-inject": c.inject_id, "data-status": c.status },
      "#" + c.inject_id + " " + c.line + " · " + c.region_name + " — ",
      c.status === "saved"
        ? h("span", { class: "saved" }, "已保存 saved: " + c.decision.category + " · " +
            c.decision.handling + " → " + c.decision.target_line)
        : h("span", { class: "error" }, "未接 missed"))));
  document.getElementById("submit").disabled = !head || s.clock.status !== "running";
  document.title = (ringing.length ? "☎ (" + ringing.length + ") " : "") + "接警台 " + s.trainee;
}

function resetForm(head) {
  current = head ? head.inject_id : null;
  document.getElementById("decide").reset();
  filterCategories("");
  document.getElementById("category").value = "";
  if (!document.getElementById("saved")) fill("save-status"); // keep "saved ✓ #n" in view
}

async function submit(event) {
  event.preventDefault();
  if (current === null) return;
  const form = {
    inject_id: current,
    category: document.getElementById("category").value,
    handling: document.getElementById("handling").value,
    target_line: document.getElementById("target_line").value,
    first_dispatch: document.getElementById("first_dispatch").value,
  };
  if (!form.category || !form.handling || !form.target_line) {
    fill("save-status", h("span", { class: "error" }, "请选择分类、处置和线路 choose category, handling and line"));
    return;
  }
  // The same id on every retry of this decision: the server stores it once.
  const key = current + ":" + JSON.stringify(form);
  pending[key] = pending[key] || newId();
  localStorage.setItem("pending:" + TOKEN, JSON.stringify(pending));
  await send({ decision_id: pending[key], ...form }, key);
}

async function send(body, key) {
  fill("save-status", h("span", { class: "muted" }, "保存中 saving…"));
  const result = await api("POST", "/api/decisions", body);
  if (result.ok) {
    delete pending[key];
    localStorage.setItem("pending:" + TOKEN, JSON.stringify(pending));
    fill("save-status", h("span", { class: "saved", id: "saved" }, "已保存 saved ✓ #" + body.inject_id));
  } else if (result.status === 0 || result.status >= 500) {
    fill("save-status", h("span", { class: "error" }, "未保存, 重试中 not saved, retrying…"));
    setTimeout(() => send(body, key), 1000);
  } else {
    fill("save-status", h("span", { class: "error" }, result.data.error.message));
  }
}

async function main() {
  const result = await api("GET", "/api/choices");
  if (!result.ok) {
    fill("current", h("p", { class: "error" }, result.data.error.message));
    return;
  }
  choices = result.data;
  fillChoices();
  document.getElementById("category-search").addEventListener("input", (e) => filterCategories(e.target.value));
  document.getElementById("decide").addEventListener("submit", submit);
  Clock.start((now) => { document.getElementById("clock").textContent = clockText(now); });
  subscribe(render);
}

main();
