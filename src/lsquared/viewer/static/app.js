// lsq view: the page talks only to the JSON + image API under this URL (see README).
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  files: [], file: null, recipe: null, before: null, frame: 0,
  zoom: 1, panX: 0, panY: 0, crop: false, pending: 0,
};
const SCOPES = ["waveform", "parade", "vectorscope", "histogram", "falsecolour", "zebras"];
const enabledScopes = new Set(["waveform", "vectorscope", "histogram"]);

async function api(path, options) {
  const response = await fetch("api/" + path, options);
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new Error(body.error || body || response.statusText);
  return body;
}
const post = (path, data) => api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(data) });

function status(text) { $("status").textContent = text; }

function options(select, values, labels) {
  select.innerHTML = "";
  values.forEach((value, i) => {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = labels ? labels[i] : value;
    select.append(option);
  });
}

// ---- size and URLs --------------------------------------------------------------------
function viewSize() {
  const box = $("viewport");
  const ratio = window.devicePixelRatio || 1;
  const side = $("compare").value === "side" ? 2 : 1;
  return [Math.max(1, Math.floor((box.clientWidth - 8 * (side - 1)) / side * ratio)), Math.max(1, Math.floor(box.clientHeight * ratio))];
}
function query(rid) {
  const [w, h] = viewSize();
  return `recipe=${rid}&w=${w}&h=${h}&frame=${state.frame}`;
}
const renderUrl = (rid) => `api/render/${state.file.id}?${query(rid)}`;

// ---- rendering ------------------------------------------------------------------------
function loadImage(img, url) {
  return new Promise((resolve, reject) => {
    img.onload = () => resolve(img);
    img.onerror = () => fetch(url).then((r) => r.json()).then(  // the API's one-line error
      (body) => reject(new Error(body.error)), () => reject(new Error("render failed: " + url)));
    img.src = url;
  });
}

async function update() {
  if (!state.file || !state.recipe) return;
  const ticket = ++state.pending;
  const key = `${state.file.id}:${state.recipe.id}:${state.frame}`;  // what this update shows
  const rid = state.recipe.id;
  status("rendering…");
  document.body.dataset.rendered = "";
  try {
    const jobs = [loadImage($("after"), renderUrl(rid))];
    if ($("compare").value !== "off") jobs.push(loadImage($("before"), renderUrl(state.before)));
    jobs.push(updateScopes(rid));
    await Promise.all(jobs);
    if (state.crop) await updateCrop();
    if (ticket !== state.pending) return;
    layout();
    const { notes } = await api(`notes/${state.file.id}`);
    status([`${state.file.name} ${$("after").naturalWidth}×${$("after").naturalHeight}`, ...notes].join(" · "));
    document.body.dataset.rendered = key;
  } catch (error) {
    if (ticket === state.pending) status(error.message);
  }
}

function layout() {
  const wrap = $("canvas-wrap");
  wrap.className = $("compare").value;
  wrap.style.transform = `translate(${state.panX}px, ${state.panY}px) scale(${state.zoom / (window.devicePixelRatio || 1)})`;
  const split = Number($("split").value) / 100;
  const after = $("after");
  if ($("compare").value === "split") {
    after.style.clipPath = `inset(0 0 0 ${split * 100}%)`;
    $("split-line").style.left = `${split * after.naturalWidth}px`;
  } else {
    after.style.clipPath = "";
  }
}

// ---- zoom, pan, 1:1 crops -------------------------------------------------------------
function setupViewport() {
  const box = $("viewport");
  box.addEventListener("wheel", (event) => {
    event.preventDefault();
    const factor = event.deltaY < 0 ? 1.25 : 0.8;
    const rect = box.getBoundingClientRect();
    const x = event.clientX - rect.left, y = event.clientY - rect.top;
    state.panX = x - (x - state.panX) * factor;
    state.panY = y - (y - state.panY) * factor;
    state.zoom *= factor;
    layout();
  }, { passive: false });
  let drag = null;
  box.addEventListener("pointerdown", (e) => { drag = [e.clientX - state.panX, e.clientY - state.panY]; });
  window.addEventListener("pointerup", () => { if (drag && state.crop) updateCrop(); drag = null; });
  window.addEventListener("pointermove", (e) => {
    if (!drag) return;
    state.panX = e.clientX - drag[0];
    state.panY = e.clientY - drag[1];
    layout();
  });
  $("fit").onclick = () => { state.zoom = 1; state.panX = state.panY = 0; layout(); };
  $("one-to-one").onclick = () => { state.crop = !state.crop; $("crop").hidden = !state.crop; if (state.crop) updateCrop(); };
  $("compare").onchange = update;
  $("split").oninput = layout;
  $("set-before").onclick = () => { state.before = state.recipe.id; update(); };
}

async function updateCrop() {
  // The viewport's centre, as fractions of the shown image (the server scales them to the
  // full resolution and keeps the crop inside the frame).
  const image = $("after").getBoundingClientRect();
  const box = $("viewport").getBoundingClientRect();
  const clamp = (v) => Math.min(1, Math.max(0, v));
  const cx = clamp((box.left + box.width / 2 - image.left) / image.width);
  const cy = clamp((box.top + box.height / 2 - image.top) / image.height);
  const size = "cw=512&ch=384";
  await loadImage($("crop"), `api/crop/${state.file.id}?recipe=${state.recipe.id}&frame=${state.frame}&cx=${cx}&cy=${cy}&${size}`);
}

// ---- scopes ---------------------------------------------------------------------------
function setupScopes(matrices) {
  options($("matrix"), matrices);
  for (const kind of SCOPES) {
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" value="${kind}" ${enabledScopes.has(kind) ? "checked" : ""}> ${kind}`;
    label.querySelector("input").onchange = (e) => {
      e.target.checked ? enabledScopes.add(kind) : enabledScopes.delete(kind);
      updateScopes(state.recipe.id);
    };
    $("scope-picks").append(label);
  }
  for (const id of ["matrix", "hist-log", "zebra-level", "wave-scale"]) $(id).onchange = () => updateScopes(state.recipe.id);
}

let scopeTicket = 0;
async function updateScopes(rid) {
  // Several changes can ask for scopes at once (a checkbox, the compare mode, a slider):
  // only the latest request replaces the panel, and it does so in one synchronous step.
  const ticket = ++scopeTicket;
  const matrix = $("matrix").value;
  const graticule = await api(`graticule?matrix=${matrix}`);
  if (ticket !== scopeTicket) return;
  const common = `${query(rid)}&matrix=${matrix}&level=${$("zebra-level").value}`;
  const boxes = [];
  const jobs = [];
  for (const kind of SCOPES) {
    if (!enabledScopes.has(kind)) continue;
    const box = document.createElement("div");
    box.className = "scope";
    box.dataset.kind = kind;
    box.innerHTML = `<span class="title">${kind}</span>`;
    boxes.push(box);
    if (kind === "histogram") {
      jobs.push(api(`scope/histogram/${state.file.id}?${common}`).then((h) => drawHistogram(box, h)));
      continue;
    }
    const img = document.createElement("img");
    if (kind === "falsecolour" || kind === "zebras") img.style.maxWidth = "360px";
    box.prepend(img);
    const columns = kind === "parade" ? 170 : 512;
    jobs.push(loadImage(img, `api/scope/${kind}/${state.file.id}?${common}&columns=${columns}`).then(() => overlay(box, img, kind, graticule)));
  }
  $("scopes").replaceChildren(...boxes);
  await Promise.all(jobs);
}

function overlay(box, img, kind, graticule) {
  if (!["waveform", "parade", "vectorscope"].includes(kind)) return;
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  box.append(canvas);
  const g = canvas.getContext("2d");
  g.strokeStyle = "rgba(255, 200, 80, 0.6)";
  g.fillStyle = "rgba(255, 200, 80, 0.9)";
  g.font = "10px sans-serif";
  if (kind === "vectorscope") {
    const s = canvas.width, c = (s - 1) / 2;
    const at = (cb, cr) => [(cb + 0.5) * (s - 1), (0.5 - cr) * (s - 1)];
    g.beginPath(); g.arc(c, c, c, 0, 2 * Math.PI); g.stroke();
    for (const [targets, half] of [[graticule.targets75, 4], [graticule.targets100, 7]]) {
      for (const t of targets) {
        const [x, y] = at(t.cb, t.cr);
        g.strokeRect(x - half, y - half, 2 * half, 2 * half);
        if (half > 5) g.fillText(t.name, c + (x - c) * 0.82 - 6, c + (y - c) * 0.82 + 4);  // inside the circle
      }
    }
    const a = graticule.skin_degrees * Math.PI / 180;  // skin-tone line
    g.beginPath(); g.moveTo(c, c); g.lineTo(c + c * Math.cos(a), c - c * Math.sin(a)); g.stroke();
    return;
  }
  // Rows are code values 255 (top) to 0; 100 IRE is code 255 on these full-range pixels.
  const code = $("wave-scale").value === "code";
  const marks = code ? [0, 32, 64, 96, 128, 160, 192, 224, 255] : [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
  for (const mark of marks) {
    const y = (1 - mark / (code ? 255 : 100)) * (canvas.height - 1);
    g.beginPath(); g.moveTo(0, y); g.lineTo(canvas.width, y); g.stroke();
    g.fillText(String(mark), 2, Math.max(9, y - 1));
  }
}

function drawHistogram(box, h) {
  const canvas = document.createElement("canvas");
  canvas.className = "plot";
  canvas.width = 512; canvas.height = 200;
  box.prepend(canvas);
  const g = canvas.getContext("2d");
  const log = $("hist-log").checked;
  const f = (v) => (log ? Math.log1p(v) : v);
  const top = Math.max(1, ...["r", "g", "b"].flatMap((c) => h[c].map(f)));
  g.globalCompositeOperation = "lighter";
  for (const [c, colour] of [["r", "#c33"], ["g", "#3c3"], ["b", "#36f"]]) {
    g.fillStyle = colour;
    h[c].forEach((v, i) => { const height = f(v) / top * canvas.height; g.fillRect(i * 2, canvas.height - height, 2, height); });
  }
}

// ---- recipe controls ------------------------------------------------------------------
function showRecipe(answer) {
  state.recipe = answer;
  $("toml").value = answer.toml;
  const r = answer.recipe;
  for (const el of document.querySelectorAll("[data-section]")) {
    const value = r[el.dataset.section][el.dataset.key];
    const index = el.dataset.index;
    el.value = index === undefined ? value : value[Number(index)];
    const out = el.parentElement.querySelector("output");
    if (out) out.textContent = el.value;
  }
  $("look").value = r.look.lut ? `lut:${(state.luts.find((l) => l.path === r.look.lut) || {}).id}` : r.look.name;
}

let changeTicket = 0;
async function changeRecipe(changes, look, ticket = ++changeTicket) {
  const body = { base: state.recipe.id, changes };
  if (look !== undefined) body.look = look;
  try {
    const answer = await post("recipe", body);
    if (ticket !== changeTicket) return;  // a later change is on its way
    showRecipe(answer);
    await update();
  } catch (error) { status(error.message); }
}

let timer = null;
let lastChange = -Infinity;  // when a control last changed (performance.now())
function onControl(el) {
  const section = el.dataset.section, key = el.dataset.key;
  let value = el.type === "range" || el.type === "number" ? Number(el.value) : el.value;
  if (el.dataset.index !== undefined) {
    value = state.recipe.recipe[section][key].slice();
    value[Number(el.dataset.index)] = Number(el.value);
  }
  const out = el.parentElement.querySelector("output");
  if (out) out.textContent = el.value;
  const changes = { [section]: { [key]: value } };
  if (section === "white_balance" && key !== "mode") changes.white_balance.mode = "kelvin";
  // Editing a look's values makes it a custom grade (the look's name would override them).
  const look = ["grade", "display"].includes(section) && state.recipe.recipe.look.name ? "" : undefined;
  if (look === "") {
    changes.grade = { ...state.recipe.recipe.grade, ...(changes.grade || {}) };
    changes.display = { ...state.recipe.recipe.display, ...(changes.display || {}) };
  }
  clearTimeout(timer);
  // The ticket is taken now, not when the request goes: an answer to an earlier change that
  // arrives while the user is still moving the control must not reset it to that value.
  const ticket = ++changeTicket;
  // A lone change goes at once; changes following it within 40 ms (a slider dragged or
  // held) wait until 40 ms pass without one, and only the last goes.
  const now = performance.now();
  const wait = now - lastChange < 40 ? 40 : 0;
  lastChange = now;
  timer = setTimeout(() => changeRecipe(changes, look, ticket), wait);
}

function buildCdl() {
  const box = $("cdl");
  for (const [key, lo, hi, step] of [["slope", 0, 4, 0.01], ["offset", -0.5, 0.5, 0.005], ["power", 0.2, 4, 0.01]]) {
    const label = document.createElement("label");
    label.textContent = key;
    ["R", "G", "B"].forEach((_, i) => {
      const input = document.createElement("input");
      Object.assign(input, { type: "number", min: lo, max: hi, step });
      Object.assign(input.dataset, { section: "grade", key, index: i });
      label.append(input);
    });
    box.append(label);
  }
  box.insertAdjacentHTML("beforeend",
    '<label>saturation <input type="range" min="0" max="2" step="0.01" data-section="grade" data-key="saturation"><output></output></label>' +
    '<label>contrast <input type="range" min="0.5" max="2" step="0.01" data-section="display" data-key="contrast"><output></output></label>');
}

function setupControls(enc, looks) {
  options($("input"), enc.input);
  options($("output"), enc.output);
  options($("lens"), enc.lens_source);
  options($("wb-mode"), enc.wb_mode);
  options($("lut-input"), enc.lut_input);
  options($("still-format"), enc.still_format);
  options($("codec"), enc.codec);
  state.luts = looks.luts;
  options($("look"), ["", ...looks.builtin.map((l) => l.name), ...looks.luts.map((l) => `lut:${l.id}`)],
    ["(none)", ...looks.builtin.map((l) => l.name), ...looks.luts.map((l) => `LUT ${l.name}`)]);
  buildCdl();
  for (const el of document.querySelectorAll("[data-section]")) {
    el.addEventListener(el.tagName === "SELECT" ? "change" : "input", () => onControl(el));
  }
  $("look").onchange = () => changeRecipe({}, $("look").value);
  for (const b of $("wb-presets").querySelectorAll("button")) {
    b.onclick = () => changeRecipe({ white_balance: { mode: "kelvin", kelvin: Number(b.dataset.kelvin) } });
  }
  $("apply-toml").onclick = async () => {
    try {
      const r = await fetch("api/recipe", { method: "POST", body: $("toml").value });
      const answer = await r.json();
      if (!r.ok) throw new Error(answer.error);
      showRecipe(answer);
      update();
    } catch (error) { status(error.message); }
  };
}

// ---- files, timeline ------------------------------------------------------------------
async function selectFile(file) {
  state.file = file;
  state.frame = 0;
  for (const b of $("filmstrip").children) b.classList.toggle("selected", b.dataset.id === file.id);
  $("timeline").hidden = file.kind !== "clip";
  if (file.kind === "clip") {
    $("scrub").max = file.frames - 1;
    $("scrub").value = 0;
    frameLabel();
  }
  await update();
}

function frameLabel() { $("frame-label").textContent = `frame ${state.frame + 1} / ${state.file.frames}`; }

let frameTimer = null;  // its own: a frame step must not cancel a control's pending change
function setFrame(n) {
  state.frame = Math.max(0, Math.min(state.file.frames - 1, n));
  $("scrub").value = state.frame;
  frameLabel();
  clearTimeout(frameTimer);
  frameTimer = setTimeout(update, 30);
}

function setupTimeline() {
  $("scrub").oninput = () => setFrame(Number($("scrub").value));
  $("prev").onclick = () => setFrame(state.frame - 1);
  $("next").onclick = () => setFrame(state.frame + 1);
  window.addEventListener("keydown", (e) => {
    if (state.file?.kind !== "clip" || e.target.tagName === "TEXTAREA" || e.target.tagName === "INPUT") return;
    if (e.key === "ArrowLeft") setFrame(state.frame - 1);
    if (e.key === "ArrowRight") setFrame(state.frame + 1);
  });
}

// ---- exports --------------------------------------------------------------------------
function exported(text) {
  const li = document.createElement("li");
  li.textContent = text;
  $("exports").append(li);
}

function setupExports() {
  const run = (what, extra, describe) => async () => {
    try {
      const answer = await post(`export/${what}`, { recipe: state.recipe.id, ...extra() });
      exported(describe ? describe(answer) : answer.path);
      return answer;
    } catch (error) { status(error.message); }
  };
  $("export-recipe").onclick = run("recipe", () => ({}));
  $("export-cube").onclick = run("cube", () => ({ input: $("bake-input").value }));
  $("export-vlt").onclick = run("vlt", () => ({ input: $("bake-input").value }),
    (a) => `${a.path} (largest difference from the exact recipe: ${a.fidelity_1023.toFixed(1)}/1023)`);
  $("export-still").onclick = run("still", () => ({ file: state.file.id, format: $("still-format").value }));
  $("export-clip").onclick = async () => {
    try {
      let job = await post("export/clip", { recipe: state.recipe.id, file: state.file.id, codec: $("codec").value });
      const bar = $("job-progress");
      bar.hidden = false;
      while (job.state === "running") {
        bar.max = job.total || 1; bar.value = job.done;
        await new Promise((r) => setTimeout(r, 300));
        job = await api(`job/${job.id}`);
      }
      bar.value = bar.max;
      exported(job.state === "done" ? job.output : `failed: ${job.error}`);
    } catch (error) { status(error.message); }
  };
}

// ---- start ----------------------------------------------------------------------------
async function start() {
  const [files, enc, looks, recipe] = await Promise.all([api("files"), api("encodings"), api("looks"), api("recipe")]);
  state.files = files.files.filter((f) => f.kind !== "lut");
  setupControls(enc, looks);
  setupScopes(enc.scope_matrix);
  setupViewport();
  setupTimeline();
  setupExports();
  showRecipe(recipe);
  state.before = recipe.id;
  for (const file of state.files) {
    const b = document.createElement("button");
    b.dataset.id = file.id;
    b.title = file.name;
    b.innerHTML = `<img alt="${file.name}" loading="lazy" src="api/render/${file.id}?recipe=${recipe.id}&w=120&h=80">`;
    b.onclick = () => selectFile(file);
    $("filmstrip").append(b);
  }
  if (state.files.length) await selectFile(state.files[0]);
}

start().catch((error) => status(error.message));
