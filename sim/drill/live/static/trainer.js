// The trainer's dashboard: clock control, phases, progress, feed, score table.
"use strict";

const ALLOWED = { ready: ["start", "stop"], running: ["pause", "stop"], paused: ["resume", "stop"], ended: [] };
let phases = [];

function mark(ok) {
  if (ok === null || ok === undefined) return h("span", { class: "muted" }, "—");
  return h("span", { class: ok ? "right" : "wrong" }, ok ? "✓" : "✗");
}

function renderTimeline(view) {
  phases = view.phases;
  const total = view.clock.duration_s || 1;
  fill("timeline", view.phases.map((p, k) => h("div", {
    class: "seg" + (k === view.clock.phase ? " current" : ""),
    style: "width:" + (100 * (p.end_s - p.start_s) / total) + "%",
    title: p.note_zh + " " + p.note_en,
  }, p.label_zh + " " + p.label_en)), h("div", { class: "now", id: "now" }));
  const p = view.phases[view.clock.phase];
  document.getElementById("phase-note").textContent = p ? p.note_zh + " " + p.note_en : "";
}

function renderProgress(rows) {
  const body = document.querySelector("#progress tbody");
  body.replaceChildren(...rows.map((r) => h("tr", { "data-trainee": r.trainee },
    h("td", {}, r.trainee), h("td", {}, r.delivered + "/" + r.scheduled), h("td", {}, r.answered),
    h("td", {}, r.pending), h("td", {}, r.missed), h("td", {}, r.correct),
    h("td", {}, r.mean_decision_s === null ? "—" : r.mean_decision_s.toFixed(1)))));
}

function renderScore(score) {
  document.querySelector("#score thead").replaceChildren(h("tr", {}, score.head.map((c) => h("th", {}, c))));
  document.querySelector("#score tbody").replaceChildren(...score.rows.map((cells) =>
    h("tr", { "data-trainee": cells[0] }, cells.map((c) => h("td", {}, c)))));
  document.getElementById("score-kind").textContent = score.final
    ? "最终 final (= hotline drill score)" : "实时 so far (unanswered count as wrong 未处置计为错误)";
  const undelivered = score.never_delivered;
  document.getElementById("never-delivered").textContent = score.final && undelivered.length
    ? "未响铃 never delivered (stopped early; scored as unanswered 计为未处置): inject " + undelivered.join(", ")
    : "";
}

function renderFeed(feed) {
  fill("feed", feed.map((f) => h("li", { "data-inject": f.inject_id, "data-correct": String(f.correct) },
    h("span", { class: "tag" }, clockText(f.decided_at_s)), " ", f.trainee, " #" + f.inject_id + " ",
    mark(f.verdict.category), " " + (f.category || "—") + (f.verdict.category ? "" : " (key " + f.key.category + ")") + " · ",
    mark(f.verdict.routing), " " + f.handling + " → " + f.target_line +
      (f.verdict.routing ? "" : " (key " + f.key.handling + " → " + f.key.target_line + ")") + " · ",
    "1st ", mark(f.verdict.first_dispatch), " · ",
    "on time ", mark(f.verdict.on_time), " " + f.verdict.decision_s.toFixed(0) + "/" + f.key.target_s + " s")));
}

function render(view) {
  Clock.set(view.clock);
  document.getElementById("scenario").textContent = view.scenario;
  document.getElementById("status").textContent = STATUS[view.clock.status];
  for (const action of ["start", "pause", "resume", "stop"]) {
    document.getElementById(action).disabled = !ALLOWED[view.clock.status].includes(action);
  }
  renderTimeline(view);
  renderProgress(view.progress);
  renderScore(view.score);
  renderFeed(view.feed);
}

async function act(event) {
  const action = event.target.dataset.action;
  if (action === "stop" && !confirm("结束演练? End the drill now?")) return;
  const result = await api("POST", "/api/clock/" + action);
  document.getElementById("action-error").textContent = result.ok ? "" : result.data.error.message;
}

function tick(now) {
  document.getElementById("clock").textContent = clockText(now);
  const marker = document.getElementById("now");
  if (marker && Clock.view) marker.style.left = (100 * now / (Clock.view.duration_s || 1)) + "%";
}

document.getElementById("download").href = "/api/responses.csv?token=" + encodeURIComponent(TOKEN);
for (const b of document.querySelectorAll("button[data-action]")) b.addEventListener("click", act);
Clock.start(tick);
subscribe(render);
