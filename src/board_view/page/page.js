// The board view's page: draws what /events tells and sends a person's changes to /control.
// Plain DOM, no framework: each pin, input, strip and topic gets its element once and is
// updated in place, so what a person is typing or dragging is left alone.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else node[key] = value;
  }
  node.append(...children);
  return node;
}

function badge(node, text, state) {
  node.textContent = text;
  node.className = "badge" + (state ? " " + state : "");
}

// The server's clock (ms since the view started), from the newest line: rates and plots use it.
let now = 0;

function clock(t) {
  const s = t / 1000;
  const m = Math.floor(s / 60);
  return String(m).padStart(2, "0") + ":" + (s - m * 60).toFixed(1).padStart(4, "0");
}

// A change a person makes, in the board's control words (`pin/14`, `adc/26`, ...).
function control(name, value) {
  return fetch("/control", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ control: name, value: String(value) }),
  }).then((response) => {
    if (!response.ok) response.text().then((text) => logLine("error", text.trim(), now));
  });
}

// Board events, the client's events and refused controls, newest last.
function logLine(kind, text, t) {
  const log = $("events");
  log.append(el("li", { className: kind, dataset: { kind } }, "[" + clock(t) + "] " + text));
  while (log.children.length > 200) log.firstChild.remove();
  log.scrollTop = log.scrollHeight;
}

// ---- The board ----

const pins = new Map();
const analogs = new Map();
const strips = new Map();

function pinCard(pin) {
  let card = pins.get(pin.id);
  if (!card) {
    const lamp = el("span", { className: "lamp" });
    const toggle = el("button", { className: "switch", type: "button", dataset: { control: "pin/" + pin.id } });
    toggle.addEventListener("click", () => control(toggle.dataset.control, toggle.dataset.level === "1" ? 0 : 1));
    const bar = el("div", { className: "bar" }, el("div"));
    card = {
      box: el("div", { className: "pin", dataset: { pin: pin.id } },
        el("div", { className: "name" }, pin.label), el("div", { className: "mode" }), lamp, toggle, bar),
      lamp, toggle, bar,
    };
    card.mode = card.box.querySelector(".mode");
    const grid = $("pins");
    grid.querySelector(".empty")?.remove();
    const after = [...grid.children].find((c) => c.dataset.pin.localeCompare(pin.id, undefined, { numeric: true }) > 0);
    grid.insertBefore(card.box, after || null);
    pins.set(pin.id, card);
  }
  return card;
}

// `driver` names what a pin the script never set up is for (`dht`, `neopixel`): then it is
// the driver's line, not a switch.
function drawPin(pin, driver) {
  const card = pinCard(pin);
  const output = pin.mode === "out" || pin.mode === "open_drain" || (!pin.mode && !!driver);
  let words = pin.mode || driver || "not set up";
  if (pin.mode === "in" && pin.pull !== "none") words += ", pull " + pin.pull;
  if (pin.irq) words += ", irq";
  if (pin.pwm) words = "pwm " + Math.round(pin.pwm.duty_u16 / 655.35) + "% at " + pin.pwm.freq + " Hz";
  card.mode.textContent = words;
  card.box.dataset.level = pin.level;
  card.lamp.hidden = !output || !!pin.pwm || !pin.mode;
  card.lamp.classList.toggle("on", pin.level === 1);
  card.toggle.hidden = output || !!pin.pwm;
  card.toggle.dataset.level = pin.level;
  card.toggle.textContent = pin.level ? "1 (high)" : "0 (low)";
  card.toggle.classList.toggle("on", pin.level === 1);
  card.bar.hidden = !pin.pwm;
  if (pin.pwm) card.bar.firstChild.style.width = (pin.pwm.duty_u16 / 655.35) + "%";
}

// A sensor's slider covers what the quantity plausibly is.
function range(quantity) {
  if (quantity === "humidity") return [0, 100, 0.1];
  if (quantity === "temperature") return [-40, 85, 0.1];
  if (quantity === "pressure") return [300, 1100, 0.1];
  return [-1000, 1000, 0.1];
}

function analogRow(key, label, controlName, [min, max, step]) {
  let row = analogs.get(key);
  if (!row) {
    const slider = el("input", { type: "range", min, max, step, dataset: { control: controlName } });
    const number = el("input", { type: "number", min, max, step, dataset: { control: controlName } });
    slider.addEventListener("input", () => { number.value = slider.value; });
    for (const input of [slider, number]) {
      input.addEventListener("change", () => {
        // An emptied box is a person still typing, not a reading.
        if (input.value === "" || !input.checkValidity()) return;
        slider.value = number.value = input.value;
        control(controlName, input.value);
      });
    }
    row = { box: el("div", { className: "analog", dataset: { analog: key } }, el("span", {}, label), slider, number), slider, number };
    $("analog").append(row.box);
    $("analog-card").hidden = false;
    analogs.set(key, row);
  }
  return row;
}

function drawAnalog(row, value) {
  // Not while a person is at it: their value is on its way.
  for (const input of [row.slider, row.number]) {
    if (document.activeElement !== input) input.value = value;
  }
}

function drawBoard(board) {
  $("kind").textContent = board.kind;
  const wifi = board.wifi;
  $("wifi-link").textContent = wifi.managed ? wifi.link : "not used by the script (its connections need no link)";
  $("wifi-icon").className = "wifi-icon" + (wifi.managed ? (wifi.up ? " up" : " down") : "");
  $("wifi-card").dataset.up = wifi.up;
  const drivers = new Map();
  for (const sensor of board.sensors) drivers.set(sensor.device.split(":")[1], sensor.device.split(":")[0]);
  for (const strip of board.pixels) drivers.set(strip.id, "neopixel");
  for (const pin of board.pins) drawPin(pin, drivers.get(pin.id));
  for (const adc of board.adc) {
    drawAnalog(analogRow("adc:" + adc.id, "ADC " + adc.label, "adc/" + adc.id, [0, 65535, 1]), adc.value);
  }
  for (const sensor of board.sensors) {
    const [driver, pin] = sensor.device.split(":");
    const name = "sensor/" + driver + "/" + pin + "/" + sensor.quantity;
    drawAnalog(analogRow(name, sensor.label + " " + sensor.quantity, name, range(sensor.quantity)), sensor.value);
  }
  for (const strip of board.pixels) {
    let row = strips.get(strip.id);
    if (!row) {
      row = el("div", { className: "strip", dataset: { strip: strip.id } });
      $("pixels").append(el("div", {}, strip.label), row);
      $("pixels-card").hidden = false;
      strips.set(strip.id, row);
    }
    row.replaceChildren(...strip.colors.map((c) => {
      const pixel = el("span", { className: "pixel", title: c });
      pixel.style.background = c;
      return pixel;
    }));
  }
}

$("wifi-drop").addEventListener("click", () => control("wifi/drop", $("wifi-drop-seconds").value || 0));

// ---- MQTT traffic ----

const topics = new Map();
const tree = { children: new Map(), kids: $("topics") };
let plotTopic = "";
let plotField = "";
let drawing = false;

// Traffic is drawn once per frame, however many messages came in it.
function redraw() {
  if (drawing) return;
  drawing = true;
  requestAnimationFrame(() => { drawing = false; drawCounts(); drawPlot(); });
}

// The numbers in a payload, by field: `(value)` for a plain number, dotted paths into JSON.
function numbers(value, path, out, depth) {
  if (typeof value === "number" && isFinite(value)) out.push([path || "(value)", value]);
  else if (typeof value === "boolean") out.push([path || "(value)", value ? 1 : 0]);
  else if (value && typeof value === "object" && depth < 3) {
    for (const [key, inner] of Object.entries(value)) numbers(inner, path ? path + "." + key : key, out, depth + 1);
  }
  return out;
}

function node(topic) {
  let at = tree;
  const parts = topic.split("/");
  parts.forEach((part, i) => {
    let child = at.children.get(part);
    if (!child) {
      const label = el("div", { className: "segment" }, part === "" ? "(empty)" : part);
      const kids = el("div");
      child = { children: new Map(), label, kids, box: el("div", { className: "branch" }, label, kids) };
      child.box.dataset.path = parts.slice(0, i + 1).join("/");
      const names = [...at.children.keys(), part].sort();
      const next = names[names.indexOf(part) + 1];
      at.kids.querySelector(":scope > .empty")?.remove();
      at.kids.insertBefore(child.box, next === undefined ? null : at.children.get(next).box);
      at.children.set(part, child);
    }
    at = child;
  });
  return at;
}

function topicEntry(topic) {
  let entry = topics.get(topic);
  if (!entry) {
    const place = node(topic);
    const counts = el("span", { className: "counts" });
    const direction = el("span");
    const payload = el("pre", { className: "payload" });
    const name = topic.split("/").pop();
    const details = el("details", { className: "topic", open: true, dataset: { topic } },
      el("summary", {}, direction, " ", name === "" ? "(empty)" : name, counts), payload);
    place.label.hidden = true;
    place.box.insertBefore(details, place.kids);
    entry = { count: 0, times: [], fields: new Map(), details, counts, direction, payload };
    topics.set(topic, entry);
  }
  return entry;
}

function message(m) {
  const entry = topicEntry(m.topic);
  entry.count += 1;
  entry.times.push(m.t);
  entry.direction.textContent = m.dir === "out" ? "↑" : "↓";
  entry.direction.className = m.dir;
  entry.direction.title = m.dir === "out" ? "published by the script" : "received by the script";
  let text = m.payload;
  let parsed;
  try { parsed = JSON.parse(m.payload); } catch (e) { parsed = undefined; }
  if (parsed !== undefined && typeof parsed === "object" && parsed !== null) text = JSON.stringify(parsed, null, 2);
  if (m.binary) text = "(" + m.size + " bytes, not text) " + text;
  else if (m.truncated) text += "\n… (" + m.size + " bytes in all)";
  entry.payload.textContent = text;
  for (const [field, value] of numbers(parsed, "", [], 0)) {
    let series = entry.fields.get(field);
    if (!series) entry.fields.set(field, (series = []));
    series.push([m.t, value]);
    if (series.length > 300) series.shift();
  }
  if (!plotTopic && entry.fields.size) choosePlot(m.topic, "");
  else if (m.topic === plotTopic && entry.fields.size !== $("plot-field").options.length) choosePlot(plotTopic, plotField);
  redraw();
}

function drawCounts() {
  for (const entry of topics.values()) {
    entry.times = entry.times.filter((t) => t > now - 10000);
    const span = Math.min(10, Math.max(1, now / 1000));
    entry.counts.textContent = " " + entry.count + (entry.count === 1 ? " message" : " messages") +
      " · " + (entry.times.length / span).toFixed(1) + "/s";
  }
}

// What a reading counts or stamps rather than measures: not the plot's first choice.
const COUNTERS = /^(n|i|id|count|counter|seq|sequence|uptime|ts|time|timestamp|millis|ticks)$/i;

function choosePlot(topic, field) {
  plotTopic = topic;
  const entry = topics.get(topic);
  const fields = entry ? [...entry.fields.keys()] : [];
  const measured = fields.find((f) => !COUNTERS.test(f.split(".").pop()));
  plotField = fields.includes(field) ? field : measured || fields[0] || "";
  const select = $("plot-field");
  select.replaceChildren(...fields.map((f) => el("option", { value: f, selected: f === plotField }, f)));
  for (const [name, e] of topics) e.details.classList.toggle("selected", name === plotTopic);
  $("plot-topic").value = plotTopic;
  redraw();
}

function drawPlot() {
  const select = $("plot-topic");
  const numeric = [...topics].filter(([, e]) => e.fields.size).map(([t]) => t).sort();
  if (select.options.length - 1 !== numeric.length) {
    select.replaceChildren(el("option", { value: "" }, "a topic…"), ...numeric.map((t) => el("option", { value: t }, t)));
  }
  select.value = plotTopic;
  const entry = topics.get(plotTopic);
  const series = (entry && entry.fields.get(plotField)) || [];
  const svg = $("plot");
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  if (!series.length) { $("plot-last").textContent = ""; return; }
  const values = series.map(([, v]) => v);
  const low = Math.min(...values);
  const high = Math.max(...values);
  const first = series[0][0];
  const width = Math.max(1, series[series.length - 1][0] - first);
  const points = series.map(([t, v]) =>
    ((t - first) / width * 390 + 5).toFixed(1) + "," + (110 - (high === low ? 0.5 : (v - low) / (high - low)) * 100).toFixed(1));
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.join(" "));
  svg.append(line);
  for (const [y, v] of [[10, high], [118, low]]) {
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", "2");
    label.setAttribute("y", String(y));
    label.textContent = String(v);
    svg.append(label);
  }
  $("plot-last").textContent = "last: " + values[values.length - 1] + " (" + series.length + " values)";
}

$("plot-topic").addEventListener("change", (e) => choosePlot(e.target.value, ""));
$("plot-field").addEventListener("change", (e) => choosePlot(plotTopic, e.target.value));

function client(c) {
  if (c.what === "connected") badge($("client"), "connected", "");
  const subs = $("subscriptions");
  if (c.what === "subscribed") subs.dataset.filters = ((subs.dataset.filters || "") + " " + c.filter).trim();
  if (c.what === "unsubscribed") {
    subs.dataset.filters = (subs.dataset.filters || "").split(" ").filter((f) => f !== c.filter).join(" ");
  }
  subs.textContent = subs.dataset.filters ? "subscribed to " + subs.dataset.filters.split(" ").join(", ") : "";
  logLine("client", "MQTT " + c.what + (c.filter ? " " + c.filter : ""), c.t);
}

// ---- Output ----

function output(o) {
  const pane = $("output");
  const atEnd = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 4;
  const last = pane.lastChild;
  if (last && last.className === o.stream) last.textContent += o.text;
  else pane.append(el("span", { className: o.stream }, o.text));
  while (pane.textContent.length > 200000 && pane.firstChild) pane.firstChild.remove();
  if (atEnd) pane.scrollTop = pane.scrollHeight;
}

// ---- The feed ----

function reset() {
  for (const map of [pins, analogs, strips, topics]) map.clear();
  tree.children.clear();
  $("pins").replaceChildren(el("p", { className: "empty" }, "No pin set up yet."));
  $("analog").replaceChildren();
  $("pixels").replaceChildren();
  $("events").replaceChildren();
  $("topics").replaceChildren(el("p", { className: "empty" }, "No message yet."));
  $("output").replaceChildren();
  $("subscriptions").dataset.filters = "";
  plotTopic = plotField = "";
}

function handle(line) {
  now = Math.max(now, line.t);
  switch (line.type) {
    case "board": drawBoard(line.board); break;
    // Strips and PWM are drawn on the board; a log line per write would bury the rest.
    case "event": if (line.kind !== "pixels" && line.kind !== "pwm") logLine(line.kind, line.text, line.t); break;
    case "mqtt": message(line); break;
    case "client": client(line); break;
    case "output": output(line); break;
  }
}

const source = new EventSource("/events");
// The server sends what came before on every (re)connection: start from a clean page.
source.addEventListener("open", () => { reset(); badge($("live"), "live", ""); });
source.addEventListener("error", () => { badge($("live"), "script ended or view stopped", "bad"); badge($("client"), "not connected", "off"); });
source.addEventListener("message", (e) => handle(JSON.parse(e.data)));

// Rates fall when messages stop coming.
setInterval(drawCounts, 1000);
