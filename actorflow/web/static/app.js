// actorflow dashboard: plain JavaScript, no libraries, every request to this server.
// URLs are relative ("v1/..."), so the page works wherever the app is mounted.
"use strict";

const SAMPLE = {
  records: [
    { id: "1", podcast_name: "  the daily  show ", revenue: "$1,250.50", impressions: "100,000", date: "2024-01-15" },
    { id: "2", podcast_name: "tech talk", revenue: "980.00", impressions: "45000", date: "01/20/2024" },
    { id: "3", podcast_name: "Tech Talk", revenue: "2,100", impressions: "120000", date: "2024-02-03" },
    { id: "2", podcast_name: "tech talk", revenue: "980.00", impressions: "45000", date: "01/20/2024" },
    { id: "4", podcast_name: "morning brief", revenue: "N/A", impressions: "0", date: "2024-02-10" }
  ],
  validation_rules: { min_revenue: 0.01, max_revenue: 100000, required_fields: ["podcast_name", "revenue", "date"] }
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// DOM methods (replaceChildren, append) print null as "null": leave absent parts out.
function present(...nodes) {
  return nodes.filter((node) => node !== null && node !== undefined);
}

function showError(message) {
  const box = $("alert");
  box.textContent = message;
  box.hidden = !message;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
  const type = response.headers.get("Content-Type") || "";
  const body = type.includes("application/json") ? await response.json() : await response.text();
  if (!response.ok) {
    const error = body && body.error ? body.error : { message: String(body) };
    const where = error.field ? ` (${error.field})` : "";
    throw new Error(`${error.message}${where}`);
  }
  return body;
}

const fmt = {
  pct: (x) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)}%`),
  secs: (s) => (s === null || s === undefined ? "–" : s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`),
  when: (t) => (t ? new Date(t * 1000).toLocaleString() : "–"),
  short: (id) => (id.length > 12 ? id.slice(0, 12) + "…" : id),
};

function statusBadge(status) {
  return el("span", { class: `status ${status}`, text: status });
}

// -- pages ------------------------------------------------------------------------------

const pages = {
  overview: loadOverview,
  run: loadRunPage,
  history: loadHistory,
  agents: loadAgents,
};

function route() {
  const [name, arg] = (location.hash.slice(1) || "overview").split("/");
  const page = pages[name] ? name : "overview";
  for (const section of document.querySelectorAll(".page")) {
    section.hidden = section.id !== `page-${page}`;
  }
  for (const link of document.querySelectorAll(".tabs a")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  showError("");
  pages[page](arg).catch((err) => showError(err.message));
}

async function loadHealth() {
  try {
    const health = await api("v1/health");
    $("health").textContent = `${health.status} · ${health.agents_ready}/${health.agents_total} agents · ${health.active_workflows} running`;
  } catch (err) {
    $("health").textContent = "server unreachable";
  }
}

async function loadOverview() {
  const [stats, agents, recent] = await Promise.all([
    api("v1/stats"), api("v1/agents/capabilities"), api("v1/workflows?limit=10"),
  ]);
  const ready = Object.values(agents.agents).filter((a) => a.healthy).length;
  $("ov-agents").textContent = `${ready} / ${agents.count}`;
  $("ov-today").textContent = String(stats.runs_today);
  $("ov-success").textContent = fmt.pct(stats.success_rate);
  $("ov-mean").textContent = fmt.secs(stats.mean_execution_time_s);
  $("ov-active").textContent = String(stats.active);
  $("ov-agent-list").replaceChildren(
    ...Object.values(agents.agents).map((a) => el("li", { class: a.healthy ? "" : "bad", text: `${a.name} · ${a.role}` }))
  );
  $("ov-recent").replaceChildren(...recent.map((run) => runRow(run, false)));
  if (!recent.length) {
    $("ov-recent").append(el("tr", {}, el("td", { colspan: 5, class: "muted", text: "No runs yet: start one on the Run page." })));
  }
}

function runRow(run, withDetails) {
  const link = el("a", { href: `#run/${encodeURIComponent(run.workflow_id)}`, class: "mono", title: run.workflow_id, text: fmt.short(run.workflow_id) });
  const row = el("tr", { "data-run": run.workflow_id },
    el("td", { "data-label": "Run" }, link),
    el("td", { "data-label": "Workflow", text: run.workflow }),
    el("td", { "data-label": "Status" }, statusBadge(run.status)),
    el("td", { "data-label": "Started", text: fmt.when(run.started_at) }),
    el("td", { "data-label": "Time", text: fmt.secs(run.execution_time) }));
  if (withDetails) {
    const error = run.error ? (run.error_detail ? `${run.error_detail.type}: ${run.error}` : run.error) : "";
    row.append(el("td", { class: "error", "data-label": error ? "Error" : null, text: error }));
    const button = el("button", { type: "button", class: "secondary", "aria-expanded": "false", text: "Details" });
    button.addEventListener("click", () => toggleDetails(row, run, button));
    row.append(el("td", {}, button));
  }
  return row;
}

// -- run page ---------------------------------------------------------------------------

let definitions = [];
let current = null; // { id, source: EventSource }

async function loadRunPage(runId) {
  if (!definitions.length) {
    definitions = (await api("v1/workflow-definitions")).workflows;
    const select = $("run-workflow");
    select.replaceChildren(...definitions.map((d) =>
      el("option", { value: d.name, disabled: !d.available, selected: d.default,
        text: d.available ? d.name : `${d.name} (needs ${d.missing_agents.join(", ")})` })));
    describeWorkflow();
  }
  showLimits();
  if (runId && (!current || current.id !== runId)) watch(decodeURIComponent(runId), null);
}

function describeWorkflow() {
  const chosen = definitions.find((d) => d.name === $("run-workflow").value);
  $("run-workflow-hint").textContent = chosen
    ? `${chosen.description || "No description"}. Stages: ${chosen.stages.map((s) => s.name).join(" → ")}.`
    : "";
}

function inputMode() {
  return document.querySelector("input[name=mode]:checked").value;
}

function showMode() {
  const mode = inputMode();
  for (const box of document.querySelectorAll(".mode")) box.hidden = !box.classList.contains(`mode-${mode}`);
}

async function submitRun(event) {
  event.preventDefault();
  showError("");
  const request = { task: $("run-task").value || "analyse the records", input_data: {} };
  const chosen = $("run-workflow").value;
  if (chosen) request.workflow = chosen;
  const mode = inputMode();
  try {
    if (mode === "json") {
      try {
        request.input_data = JSON.parse($("run-json").value || "{}");
      } catch (err) {
        throw new Error(`The input is not valid JSON: ${err.message}`);
      }
    } else if (mode === "file") {
      const file = $("run-file").files[0];
      if (!file) throw new Error("Choose a file to upload first.");
      const problem = await checkFile(file);
      if (problem) throw new Error(problem);
      const form = new FormData();
      form.append("file", file);
      const uploaded = await api("v1/uploads", { method: "POST", body: form });
      request.workflow_config = { sources: [uploaded.source] };
    } else {
      const source = { type: "api", url: $("run-url").value };
      if ($("run-records-path").value) source.records_path = $("run-records-path").value;
      request.workflow_config = { sources: [source] };
    }
    $("run-submit").disabled = true;
    const started = await api("v1/workflows/execute", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(request),
    });
    history.replaceState(null, "", `#run/${started.workflow_id}`);
    watch(started.workflow_id, started.stages);
  } catch (err) {
    showError(err.message);
  } finally {
    $("run-submit").disabled = false;
  }
}

function stageBar(name) {
  return el("div", { class: "bar pending", "data-stage": name },
    el("div", { class: "bar-label", title: name, text: name }),
    el("div", { class: "track", role: "progressbar", "aria-label": `Stage ${name}`,
      "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": 0 }, el("div", { class: "fill" })),
    el("div", { class: "pct", text: "waiting" }));
}

function setBar(bar, percent, status, label) {
  const track = bar.querySelector(".track");
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  track.setAttribute("aria-valuenow", String(value));
  track.querySelector(".fill").style.width = `${value}%`;
  bar.className = `bar ${bar.classList.contains("overall") ? "overall " : ""}${status}`;
  bar.dataset.status = status;
  bar.querySelector(".pct").textContent = label || `${value}%`;
}

function ensureBars(stages) {
  const box = $("stage-bars");
  for (const name of stages || []) {
    if (!box.querySelector(`[data-stage="${CSS.escape(name)}"]`)) box.append(stageBar(name));
  }
}

function barOf(stage) {
  ensureBars([stage]);
  return $("stage-bars").querySelector(`[data-stage="${CSS.escape(stage)}"]`);
}

function watch(runId, stages) {
  if (current && current.source) current.source.close();
  $("run-live").hidden = false;
  $("run-results").hidden = true;
  // The previous run's results must never show under this run's id, even for a moment.
  for (const id of ["downloads", "charts", "insight-text", "records-preview"]) $(id).replaceChildren();
  $("results-json").textContent = "";
  $("run-id").textContent = runId;
  $("run-of").textContent = "–";
  $("stage-bars").replaceChildren();
  $("run-cancel").disabled = false;
  $("run-retry").hidden = true;
  $("run-chain").hidden = true;
  $("run-chain").replaceChildren();
  setBar($("run-overall").parentElement, 0, "processing");
  $("run-state").textContent = "Waiting for the first event…";
  ensureBars(stages);
  const source = new EventSource(`v1/workflows/${encodeURIComponent(runId)}/events`);
  current = { id: runId, source };
  const on = (type, handler) => source.addEventListener(type, (message) => handler(JSON.parse(message.data)));
  const overall = (event) => setBar($("run-overall").parentElement, event.progress, "processing");
  on("run_started", (e) => {
    ensureBars(e.stages);
    overall(e);
    showWorkflowOf(runId, e.workflow);
    $("run-state").textContent = `Running ${e.workflow}…`;
  });
  on("stage_started", (e) => {
    setBar(barOf(e.stage), 0, "running", e.attempt > 1 ? `attempt ${e.attempt}` : "running");
    overall(e);
    $("run-state").textContent = `${e.stage} started on ${e.agent}`;
  });
  on("stage_progress", (e) => {
    setBar(barOf(e.stage), e.fraction * 100, "running");
    overall(e);
    if (e.message) $("run-state").textContent = `${e.stage}: ${e.message}`;
  });
  on("stage_retrying", (e) => {
    setBar(barOf(e.stage), 0, "retrying", `retry in ${e.delay_s.toFixed(1)} s`);
    $("run-state").textContent = `${e.stage} failed (${e.error.message}); retrying`;
  });
  on("stage_finished", (e) => {
    const ok = e.status === "succeeded";
    const bar = barOf(e.stage);
    // A retry's reused stage was not run: its output was taken over from the run retried.
    // A cached one came from the stage cache: no agent ran it either.
    setBar(bar, ok ? 100 : 0, e.status, e.reused ? "reused" : e.cached ? "cached" : ok ? "100%" : e.status);
    if (e.reused) bar.dataset.reused = "true";
    if (e.cached) bar.dataset.cached = "true";
    overall(e);
  });
  on("run_finished", (e) => {
    source.close();
    setBar($("run-overall").parentElement, e.progress, e.status, `${e.progress}% · ${e.status}`);
    $("run-state").textContent = e.error ? `Run ${e.status}: ${e.error.message}` : `Run ${e.status} in ${fmt.secs(e.execution_time_s)}`;
    $("run-cancel").disabled = true;
    $("run-retry").hidden = !["failed", "cancelled", "interrupted"].includes(e.status);
    showResults(runId).catch((err) => showError(err.message));
  });
  source.onerror = () => {
    // EventSource reconnects by itself (with Last-Event-ID); say so only while it does.
    if (source.readyState === EventSource.CONNECTING) $("run-state").textContent = "Connection lost; reconnecting…";
  };
}

async function retryRun() {
  if (!current) return;
  $("run-retry").disabled = true;
  try {
    const started = await api(`v1/workflows/${encodeURIComponent(current.id)}/retry`, { method: "POST" });
    history.replaceState(null, "", `#run/${started.workflow_id}`);
    watch(started.workflow_id, started.stages);
  } catch (err) {
    showError(err.message);
  } finally {
    $("run-retry").disabled = false;
  }
}

function runLink(id) {
  return el("a", { href: `#run/${encodeURIComponent(id)}`, class: "mono", title: id, text: fmt.short(id) });
}

// The run's place in its chain of retries: the run it retries, and its own retries.
function showChain(status) {
  const parts = [];
  if (status.retry_of) parts.push("Retry of ", runLink(status.retry_of));
  if (status.retries && status.retries.length) {
    if (parts.length) parts.push(" · ");
    parts.push("Retried by ");
    status.retries.forEach((id, i) => parts.push(...(i ? [", "] : []), runLink(id)));
  }
  $("run-chain").replaceChildren(...parts);
  $("run-chain").hidden = parts.length === 0;
}

async function cancelRun() {
  if (!current) return;
  try {
    await api(`v1/workflows/${encodeURIComponent(current.id)}/cancel`, { method: "POST" });
    $("run-state").textContent = "Cancellation requested…";
  } catch (err) {
    showError(err.message);
  }
}

function findCharts(value, path, out) {
  if (typeof value === "string") {
    const text = value.trimStart();
    if (text.startsWith("<svg") || (text.startsWith("<?xml") && text.includes("<svg"))) out.push({ path, svg: value });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => findCharts(item, `${path}[${i}]`, out));
  } else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) findCharts(item, path ? `${path}.${key}` : key, out);
  }
  return out;
}

function findSentences(value, out) {
  if (Array.isArray(value)) value.forEach((item) => findSentences(item, out));
  else if (value && typeof value === "object") {
    for (const key of ["sentence", "text", "summary"]) {
      if (typeof value[key] === "string" && !value[key].trimStart().startsWith("<")) { out.push(value[key]); break; }
    }
    for (const item of Object.values(value)) if (typeof item === "object") findSentences(item, out);
  }
  return out;
}

function findTable(results) {
  const stages = Object.keys(results || {}).reverse();
  for (const stage of stages) {
    const output = results[stage];
    if (output && output.type === "records") return { stage, table: output };
    if (output && typeof output === "object") {
      if (output.records && output.records.type === "records") return { stage, table: output.records };
      for (const item of Object.values(output)) if (item && item.type === "records") return { stage, table: item };
    }
  }
  return null;
}

async function showResults(runId) {
  const status = await api(`v1/workflows/${encodeURIComponent(runId)}/status`);
  if (!current || current.id !== runId) return; // a newer run took the panel meanwhile
  const results = status.results || {};
  showWorkflowOf(runId, status.workflow);
  showChain(status);
  $("run-results").hidden = false;
  const base = `v1/workflows/${encodeURIComponent(runId)}/results`;
  const found = findTable(results);
  $("downloads").replaceChildren(...present(
    el("a", { class: "button", href: `${base}?format=json`, download: "", text: "Download JSON" }),
    found ? el("a", { class: "button", href: `${base}?format=csv`, download: "", text: "Download CSV" }) : null));
  const charts = findCharts(results.insights || results, "", []);
  $("charts").replaceChildren(...charts.map((chart) => el("figure", {},
    el("img", { src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(chart.svg)}`, alt: chartTitle(chart) }),
    el("figcaption", { text: chartTitle(chart) }))));
  const sentences = findSentences(results.insights || {}, []).slice(0, 12);
  $("insight-text").replaceChildren(...(sentences.length
    ? [el("h3", { text: "Insights" }), el("ul", {}, ...sentences.map((s) => el("li", { text: s })))] : []));
  $("records-preview").replaceChildren();
  if (found) {
    const rows = found.table.rows.slice(0, 20);
    const columns = found.table.columns;
    $("records-preview").append(
      el("h3", { text: `Records (${found.stage}: ${count(found.table.count, "record")}${found.table.count > rows.length ? `, first ${rows.length} shown` : ""})` }),
      el("div", { class: "preview" }, el("table", {},
        el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { scope: "col", text: c })))),
        el("tbody", {}, ...rows.map((row) => el("tr", {}, ...columns.map((c) => el("td", { text: row[c] === null ? "" : String(row[c]) }))))))));
  }
  $("results-json").textContent = JSON.stringify(status, null, 2);
}


// "1 record", "2 records", "100,000 records".
function count(n, word, many) {
  return `${Number(n).toLocaleString("en")} ${n === 1 ? word : many || `${word}s`}`;
}

function bytesText(n) {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`;
  return count(n, "byte");
}

// A chart's title: the <title> the insights agent gives each SVG, else its key in words.
function chartTitle(chart) {
  const titled = /<svg[^>]*>\s*<title>([^<]*)<\/title>/.exec(chart.svg);
  if (titled) {
    const box = document.createElement("textarea");
    box.innerHTML = titled[1]; // decodes &amp; and the like; never rendered
    return box.value;
  }
  const key = chart.path.split(".").slice(-2, -1)[0] || chart.path;
  const words = key.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// The run page says which workflow the run it shows belongs to, and selects it.
function showWorkflowOf(runId, workflow) {
  if (!current || current.id !== runId || !workflow) return;
  $("run-of").textContent = workflow;
  const select = $("run-workflow");
  if ([...select.options].some((o) => o.value === workflow)) {
    select.value = workflow;
    describeWorkflow();
  }
}

function limits() {
  const input = $("run-file");
  return { bytes: Number(input.dataset.maxBytes) || 0, records: Number(input.dataset.maxRecords) || 0 };
}

function showLimits() {
  const most = limits();
  if (most.bytes && most.records) {
    $("run-file-limits").textContent =
      `Up to ${bytesText(most.bytes)} and ${count(most.records, "record")} per file (one record a line; a CSV's header aside).`;
  }
}

const LINE_FILES = /\.(csv|tsv|jsonl|ndjson|txt|text|log)$/i;
let fileCheck = null; // { file, result: Promise<string|null> }

// Checks a file against the server's limits as it reads it (size first, then its lines,
// stopping as soon as it has too many): a file a run would refuse is never sent.
function checkFile(file) {
  if (fileCheck && fileCheck.file === file) return fileCheck.result;
  const result = (async () => {
    const most = limits();
    if (most.bytes && file.size > most.bytes) {
      return `${file.name} is ${bytesText(file.size)}; the server takes files of up to ${bytesText(most.bytes)}.`;
    }
    if (!most.records || !LINE_FILES.test(file.name)) return null;
    const header = /\.(csv|tsv)$/i.test(file.name) ? 1 : 0;
    const reader = file.stream().getReader();
    let newlines = 0;
    let last = 10;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let i = 0; i < value.length; i++) if (value[i] === 10) newlines++;
      if (value.length) last = value[value.length - 1];
      if (newlines - header > most.records) {
        await reader.cancel();
        return `${file.name} has more than ${count(most.records, "record")}, the most one run reads: split it.`;
      }
    }
    const records = Math.max(0, newlines + (last === 10 ? 0 : 1) - header);
    if (records > most.records) {
      return `${file.name} has more than ${count(most.records, "record")}, the most one run reads: split it.`;
    }
    return null;
  })();
  fileCheck = { file, result };
  return result;
}

async function fileChosen() {
  const file = $("run-file").files[0];
  const line = $("run-file-check");
  line.classList.remove("bad");
  line.textContent = "";
  if (!file) return;
  line.textContent = `Checking ${file.name}…`;
  const problem = await checkFile(file);
  if ($("run-file").files[0] !== file) return; // another file was chosen meanwhile
  line.textContent = problem || `${file.name}: ${bytesText(file.size)}, within the limits.`;
  line.classList.toggle("bad", Boolean(problem));
}

function insertSample() {
  $("run-json").value = JSON.stringify(SAMPLE, null, 2);
  $("run-json").focus();
}

// -- history ----------------------------------------------------------------------------

async function loadHistory() {
  const status = $("history-status").value;
  const limit = $("history-limit").value || "20";
  const query = new URLSearchParams({ limit });
  if (status) query.set("status", status);
  const list = await api(`v1/workflows?${query}`);
  $("history-rows").replaceChildren(...list.map((run) => runRow(run, true)));
  if (!list.length) {
    $("history-rows").append(el("tr", {}, el("td", { colspan: 7, class: "muted", text: "No runs match." })));
  }
}

async function toggleDetails(row, run, button) {
  const next = row.nextElementSibling;
  if (next && next.classList.contains("details-row")) {
    next.remove();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  button.setAttribute("aria-expanded", "true");
  const cell = el("td", { colspan: 7, class: "details", text: "Loading…" });
  row.after(el("tr", { class: "details-row" }, cell));
  try {
    const status = await api(`v1/workflows/${encodeURIComponent(run.workflow_id)}/status`);
    const base = `v1/workflows/${encodeURIComponent(run.workflow_id)}/results`;
    cell.replaceChildren(...present(
      el("p", {}, el("strong", { text: "Run " }), el("span", { class: "mono", text: status.workflow_id }),
        ` · ${status.workflow} · progress ${status.progress.completion}%`),
      status.error ? el("p", { class: "status failed", text: `${status.error_detail.type}: ${status.error}` }) : null,
      el("table", { class: "runs" },
        el("thead", {}, el("tr", {}, ...["Stage", "Agent", "Status", "Attempts", "Time", "Error"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...status.stages.map((s) => el("tr", {},
          el("td", { "data-label": "Stage", text: s.name }), el("td", { "data-label": "Agent", text: s.agent }),
          el("td", { "data-label": "Status" }, statusBadge(s.status)),
          el("td", { "data-label": "Attempts", text: String(s.attempts) }),
          el("td", { "data-label": "Time", text: fmt.secs(s.duration_s) }),
          el("td", { "data-label": s.error ? "Error" : null, text: s.error ? s.error.message : "" }))))),
      status.status === "processing" ? null : el("p", { class: "actions" },
        el("a", { class: "button", href: `${base}?format=json`, download: "", text: "Download JSON" }),
        el("a", { class: "button", href: `#run/${encodeURIComponent(status.workflow_id)}`, text: "Open" }))));
  } catch (err) {
    cell.textContent = err.message;
  }
}

// -- agents -----------------------------------------------------------------------------

async function loadAgents() {
  const list = await api("v1/agents/capabilities");
  $("agent-cards").replaceChildren(...Object.values(list.agents).map((a) => el("article", { class: "agent", "aria-label": a.name },
    el("h2", {}, `${a.name} `, statusBadge(a.healthy ? "healthy" : "failed")),
    el("p", { class: "muted", text: `role: ${a.role} · ${a.concurrency} actor${a.concurrency === 1 ? "" : "s"} on ${a.backend === "ray" ? "Ray" : "this process"}` }),
    el("p", { text: a.description || "" }),
    a.problem ? el("p", { class: "status failed", text: a.problem }) : null,
    el("ul", { class: "chips" }, ...a.expertise.map((x) => el("li", { text: x }))),
    el("dl", {},
      el("dt", { text: "Executions" }), el("dd", { text: String(a.stats.executions) }),
      el("dt", { text: "Success rate" }), el("dd", { text: fmt.pct(a.stats.success_rate) }),
      el("dt", { text: "Mean duration" }), el("dd", { text: fmt.secs(a.stats.mean_duration_s) }),
      el("dt", { text: "Busy / waiting" }), el("dd", { text: `${a.stats.busy} / ${a.stats.waiting}` }),
      el("dt", { text: "Restarts" }), el("dd", { text: String(a.stats.restarts) }),
      el("dt", { text: "Recorded runs" }), el("dd", { text: a.stats.recorded_executions === null ? "–" : `${a.stats.recorded_executions} (${fmt.pct(a.stats.recorded_success_rate)})` })))));
}

// -- start ------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  window.addEventListener("hashchange", route);
  $("run-form").addEventListener("submit", submitRun);
  $("run-workflow").addEventListener("change", describeWorkflow);
  for (const radio of document.querySelectorAll("input[name=mode]")) radio.addEventListener("change", showMode);
  $("run-cancel").addEventListener("click", cancelRun);
  $("run-retry").addEventListener("click", retryRun);
  $("run-file").addEventListener("change", fileChosen);
  $("run-sample").addEventListener("click", insertSample);
  $("history-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadHistory().catch((err) => showError(err.message));
  });
  loadHealth();
  setInterval(loadHealth, 10000);
  route();
});
