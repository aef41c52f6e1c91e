// wcfevents report: draws the timeline, activities, errors and events from the embedded data.
// Every value comes from a trace anyone could have written: it only ever becomes text
// (createTextNode / textContent), never markup; the only links are catalog documentation URLs.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const LEVELS = ["Critical", "Error", "Warning", "Information", "Verbose", "LogAlways"];
  const DOC_PREFIX = "https://learn.microsoft.com/";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const COLOURS = {
    critical: "#7f1d1d", error: "#dc2626", warning: "#d97706", information: "#2563eb",
    verbose: "#94a3b8", logalways: "#0d9488", other: "#64748b",
  };

  // -- helpers ----------------------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (key === "cls") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
        else node[key] = value;
      }
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    return node;
  }

  function levelKey(level) {
    return LEVELS.includes(level) ? level.toLowerCase() : "other";
  }

  function levelBadge(level) {
    return el("span", { cls: "lvl lvl-" + levelKey(level), text: level || "—" });
  }

  function docLink(eventId) {
    const url = DATA.docs[String(eventId)];
    if (typeof url !== "string" || !url.startsWith(DOC_PREFIX)) return null;
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: "docs" });
  }

  function str(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function parseTime(text) {
    // "2024-05-14T08:00:00.1234567Z" → ms since 1970 (with the sub-millisecond part).
    if (typeof text !== "string" || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(text)) return NaN;
    const whole = Date.parse(text.slice(0, 19) + "Z");
    const fraction = /^\.(\d+)/.exec(text.slice(19));
    return whole + (fraction ? Number("0." + fraction[1]) * 1000 : 0);
  }

  function shortTime(text) {
    return typeof text === "string" ? text.replace("T", " ").replace(/Z$/, "") : "";
  }

  function formatMs(ms, step) {
    // A time in UTC as precise as ticks `step` ms apart need.
    const iso = new Date(ms).toISOString(); // 2024-05-14T08:00:00.000Z
    if (step >= 86400000) return iso.slice(0, 10);
    if (step >= 3600000) return iso.slice(5, 16).replace("T", " ");
    if (step >= 60000) return iso.slice(11, 16);
    if (step >= 1000) return iso.slice(11, 19);
    return iso.slice(11, 23);
  }

  function formatDuration(ms) {
    if (ms === null || ms === undefined || isNaN(ms)) return "";
    if (ms < 1) return ms.toFixed(3) + " ms";
    if (ms < 1000) return ms.toFixed(1) + " ms";
    if (ms < 120000) return (ms / 1000).toFixed(2) + " s";
    return (ms / 60000).toFixed(1) + " min";
  }

  const fmt = new Intl.NumberFormat("en-US");

  // -- the events --------------------------------------------------------------------------

  const EVENTS = DATA.events;
  const BY_ORDINAL = new Map(EVENTS.map((e) => [e.n, e]));
  const BY_ACTIVITY = new Map();
  for (const e of EVENTS) {
    if (!e.activity_id) continue;
    if (!BY_ACTIVITY.has(e.activity_id)) BY_ACTIVITY.set(e.activity_id, []);
    BY_ACTIVITY.get(e.activity_id).push(e);
  }
  const ACTIVITIES = new Map(DATA.activities.map((a) => [a.activity_id, a]));

  function payloadTable(e) {
    const table = el("table");
    const facts = [
      ["computer", e.computer], ["process / thread", str(e.process_id) + " / " + str(e.thread_id)],
      ["record", e.record_id], ["provider", e.provider], ["channel", e.channel],
      ["keywords", (e.keywords || []).join(", ")], ["activity", e.activity_id],
      ["related activity", e.related_activity_id], ["source", e.source],
    ];
    for (const [name, value] of Object.entries(e.data || {})) facts.push([name, value]);
    for (const [name, value] of facts) {
      if (value === null || value === undefined || value === "") continue;
      table.appendChild(el("tr", null, el("td", { text: name }), el("td", { text: str(value) })));
    }
    return table;
  }

  function eventItem(e, options) {
    const opts = options || {};
    // In a group of one event ID (errors and warnings) the group says level, ID and symbol.
    const head = opts.compact
      ? el("div", { cls: "head" }, el("span", { cls: "mono muted", text: shortTime(e.timestamp) }))
      : el("div", { cls: "head" },
        el("span", { cls: "mono muted", text: shortTime(e.timestamp) }),
        levelBadge(e.level),
        el("strong", { text: str(e.event_id) }),
        el("span", { text: e.symbol || "" }),
        docLink(e.event_id));
    if (opts.activityLink && e.activity_id) {
      head.appendChild(activityButton(e.activity_id, "activity " + e.activity_id.slice(0, 8)));
    }
    if (e.event_id === 499 && e.related_activity_id) {
      head.appendChild(el("span", { cls: "muted", text: "transfer to" }));
      head.appendChild(activityButton(e.related_activity_id, e.related_activity_id.slice(0, 8)));
    }
    const payload = el("details", { cls: "payload" }, el("summary", { text: "payload and facts" }));
    payload.addEventListener("toggle", function once() {
      payload.removeEventListener("toggle", once);
      payload.appendChild(payloadTable(e));
    });
    return el("li", null, head,
      el("p", { cls: "msg", text: e.message === null ? "(no message)" : str(e.message) }),
      payload);
  }

  function activityButton(activityId, label) {
    if (!ACTIVITIES.has(activityId)) return el("span", { cls: "mono muted", text: label });
    return el("button", {
      type: "button", cls: "linkish mono", text: label, title: activityId,
      onclick: () => { selectActivity(activityId, true); },
    });
  }

  // -- timeline ---------------------------------------------------------------------------

  const NICE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4,
    3e5, 6e5, 18e5, 36e5, 72e5, 216e5, 432e5, 864e5, 1728e5, 6048e5, 2592e6, 31536e6];
  const STACK = [1, 2, 3, 4, 0, 5, 6]; // columns bottom-up: Critical … Verbose, Other
  const TL = DATA.timeline;

  function timeline() {
    const chart = document.getElementById("tl-chart");
    const legend = document.getElementById("tl-legend");
    for (const column of STACK) {
      const name = TL.levels[column];
      legend.appendChild(el("span", null, el("span", { cls: "swatch sw-" + name.toLowerCase() }), name));
    }
    if (TL.untimed) legend.appendChild(el("span", { cls: "muted", text: fmt.format(TL.untimed) + " events without a readable time" }));
    const bins = TL.bins;
    if (!bins.length) {
      chart.appendChild(el("p", { cls: "muted", text: "No timed events." }));
      return;
    }
    const full = [bins[0][0], bins[bins.length - 1][0] + TL.step_ms];
    let view = full.slice();
    const history = [];

    function lowerBound(t) {
      let lo = 0, hi = bins.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (bins[mid][0] < t) lo = mid + 1; else hi = mid; }
      return lo;
    }

    function zoom(range) {
      const least = TL.step_ms * 4;
      if (range[1] - range[0] < least) {
        const middle = (range[0] + range[1]) / 2;
        range = [middle - least / 2, middle + least / 2];
      }
      history.push(view);
      view = range;
      draw();
    }

    document.getElementById("tl-out").addEventListener("click", () => {
      if (history.length) { view = history.pop(); draw(); }
    });
    document.getElementById("tl-reset").addEventListener("click", () => {
      history.length = 0; view = full.slice(); draw();
    });

    function draw() {
      chart.textContent = "";
      const width = Math.max(chart.clientWidth || 0, 600);
      const left = 48, right = 8, top = 8, plot = 170, strip = 18, axis = 22;
      const height = top + plot + 6 + strip + axis;
      const binWidth = NICE.find((n) => n >= Math.max(TL.step_ms, (view[1] - view[0]) / 120)) ||
        NICE[NICE.length - 1];
      const start = Math.floor(view[0] / binWidth) * binWidth;
      const count = Math.max(1, Math.ceil((view[1] - start) / binWidth));
      const end = start + count * binWidth; // whole bars: the axis runs from start to end
      const span = end - start;
      const sums = Array.from({ length: count }, () => new Array(7).fill(0));
      for (let i = lowerBound(start); i < bins.length && bins[i][0] < end; i++) {
        const index = Math.floor((bins[i][0] - start) / binWidth);
        if (index < 0 || index >= count) continue;
        for (let c = 0; c < 7; c++) sums[index][c] += bins[i][c + 1];
      }
      const totals = sums.map((row) => row.reduce((a, b) => a + b, 0));
      const most = Math.max(1, ...totals);
      const total = totals.reduce((a, b) => a + b, 0);
      const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, height, role: "img" });
      root.appendChild(svg("title")).textContent = "events over time by level";
      const x = (t) => left + ((t - start) / span) * (width - left - right);
      const barWidth = Math.max(1, x(start + binWidth) - x(start) - 1);
      // y axis: 0 and the maximum.
      for (const [value, y] of [[0, top + plot], [most, top]]) {
        root.appendChild(svg("line", { x1: left - 4, x2: width - right, y1: y, y2: y, stroke: "#e2e8f0" }));
        const label = svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 11, fill: "#64748b" });
        label.textContent = fmt.format(value);
        root.appendChild(label);
      }
      sums.forEach((row, i) => {
        if (!totals[i]) return;
        const t0 = start + i * binWidth;
        const g = svg("g", { class: "bar" });
        let y = top + plot;
        for (const column of STACK) {
          if (!row[column]) continue;
          const h = (row[column] / most) * plot;
          y -= h;
          g.appendChild(svg("rect", { x: x(t0), y, width: barWidth, height: Math.max(h, 0.5),
            fill: COLOURS[TL.levels[column].toLowerCase()] }));
        }
        const tip = svg("title");
        tip.textContent = formatMs(t0, 1) + " UTC, " + fmt.format(totals[i]) + " events" +
          STACK.filter((c) => row[c]).map((c) => "\n" + TL.levels[c] + ": " + fmt.format(row[c])).join("");
        g.appendChild(tip);
        g.appendChild(svg("rect", { x: x(t0), y: top, width: barWidth, height: plot, fill: "transparent" }));
        g.addEventListener("click", () => { if (binWidth > TL.step_ms) zoom([t0, t0 + binWidth]); });
        root.appendChild(g);
        // Errors and warnings stand out in their own strip, however many other events there are.
        const bad = row[1] + row[2], warned = row[3];
        const sy = top + plot + 6;
        if (bad) root.appendChild(svg("rect", { x: x(t0), y: sy, width: barWidth, height: strip / 2 - 1, fill: COLOURS.error }));
        if (warned) root.appendChild(svg("rect", { x: x(t0), y: sy + strip / 2, width: barWidth, height: strip / 2 - 1, fill: COLOURS.warning }));
      });
      const stripLabel = svg("text", { x: left - 6, y: top + plot + 6 + strip - 5, "text-anchor": "end", "font-size": 10, fill: "#64748b" });
      stripLabel.textContent = "err/warn";
      root.appendChild(stripLabel);
      // x axis: about six ticks on round times.
      const tickStep = NICE.find((n) => n >= span / 6) || NICE[NICE.length - 1];
      for (let t = Math.ceil(start / tickStep) * tickStep; t <= end; t += tickStep) {
        const tx = x(t);
        const anchor = tx > width - 40 ? "end" : tx < left + 30 ? "start" : "middle";
        root.appendChild(svg("line", { x1: tx, x2: tx, y1: top + plot, y2: height - axis + 3, stroke: "#cbd5e1" }));
        const label = svg("text", { x: tx, y: height - 6, "text-anchor": anchor, "font-size": 11, fill: "#64748b" });
        label.textContent = formatMs(t, tickStep);
        root.appendChild(label);
      }
      // Drag to zoom.
      const band = svg("rect", { x: 0, y: top, width: 0, height: plot, fill: "rgba(37,99,235,0.15)", visibility: "hidden" });
      root.appendChild(band);
      let from = null;
      const pointX = (ev) => {
        const box = root.getBoundingClientRect();
        return ((ev.clientX - box.left) / box.width) * width;
      };
      root.addEventListener("mousedown", (ev) => { from = pointX(ev); });
      root.addEventListener("mousemove", (ev) => {
        if (from === null) return;
        const to = pointX(ev);
        band.setAttribute("x", Math.min(from, to));
        band.setAttribute("width", Math.abs(to - from));
        band.setAttribute("visibility", "visible");
      });
      root.addEventListener("mouseup", (ev) => {
        if (from === null) return;
        const to = pointX(ev);
        const a = Math.min(from, to), b = Math.max(from, to);
        from = null;
        band.setAttribute("visibility", "hidden");
        if (b - a < 5) return; // a click: the bar handles it
        const t = (px) => start + ((px - left) / (width - left - right)) * span;
        zoom([Math.max(t(a), full[0]), Math.min(t(b), full[1])]);
      });
      chart.appendChild(root);
      document.getElementById("tl-range").textContent =
        formatMs(start, 1) + " → " + formatMs(end, 1) + " UTC · " + fmt.format(total) +
        " events · one bar = " + formatDuration(binWidth);
    }

    draw();
    let pending = null;
    window.addEventListener("resize", () => {
      clearTimeout(pending);
      pending = setTimeout(draw, 150);
    });
  }

  // -- activities -------------------------------------------------------------------------

  let selectedRow = null;
  const ROWS = new Map();

  function activities() {
    const gantt = document.getElementById("act-gantt");
    const list = DATA.activities;
    const count = document.getElementById("act-count");
    if (!list.length) {
      gantt.appendChild(el("p", { cls: "muted", text: "No events carry an ActivityID." }));
      return;
    }
    const times = new Map(list.map((a) => [a.activity_id, [parseTime(a.first), parseTime(a.last)]]));
    let lo = Infinity, hi = -Infinity;
    for (const [first, last] of times.values()) {
      if (!isNaN(first)) lo = Math.min(lo, first);
      if (!isNaN(last)) hi = Math.max(hi, last);
    }
    const range = Math.max(hi - lo, 1);
    const byFirst = (a, b) => (a.first || "").localeCompare(b.first || "");
    // Tree order: roots by start time, children under their parent (cycles cut).
    const ordered = [];
    const seen = new Set();
    const visit = (activity, depth) => {
      const stack = [[activity, depth]];
      while (stack.length) {
        const [node, level] = stack.pop();
        if (seen.has(node.activity_id)) continue;
        seen.add(node.activity_id);
        ordered.push([node, level]);
        const kids = (node.children || []).map((c) => ACTIVITIES.get(c))
          .filter((c) => c && !seen.has(c.activity_id)).sort(byFirst).reverse();
        for (const kid of kids) stack.push([kid, level + 1]);
      }
    };
    const sorted = list.slice().sort(byFirst);
    for (const a of sorted) if (!a.parent || !ACTIVITIES.has(a.parent)) visit(a, 0);
    for (const a of sorted) visit(a, 0);

    const axis = el("div", { cls: "row axis" }, el("div", { cls: "label", text: "activity (indented: transferred from the one above)" }));
    const axisTrack = el("div", { cls: "track" });
    for (let i = 0; i <= 2; i++) {
      const tick = el("span", { cls: "tick", text: isFinite(lo) ? formatMs(lo + (range * i) / 2, range / 2) : "" });
      tick.style.left = (i * 50) + "%";
      if (i === 0) tick.style.transform = "none";
      if (i === 2) tick.style.transform = "translateX(-100%)";
      axisTrack.appendChild(tick);
    }
    axis.appendChild(axisTrack);
    gantt.appendChild(axis);

    for (const [activity, depth] of ordered) {
      const [first, last] = times.get(activity.activity_id);
      const label = el("div", { cls: "label", title: activity.activity_id + "\n" + (activity.description || "") },
        el("span", { cls: "aid", text: activity.activity_id.slice(0, 8) }),
        activity.name || activity.description || "(no description)");
      label.style.paddingLeft = (0.4 + depth * 1.1) + "em";
      const bar = el("div", { cls: "bar b-" + levelKey(activity.worst_level) });
      if (!isNaN(first)) {
        bar.style.left = ((first - lo) / range) * 100 + "%";
        bar.style.width = (((isNaN(last) ? first : last) - first) / range) * 100 + "%";
      }
      bar.title = (activity.worst_level || "") + ", " + activity.event_count + " events, " +
        formatDuration(activity.duration_ms);
      const row = el("div", { cls: "row", onclick: () => selectActivity(activity.activity_id, false) },
        label, el("div", { cls: "track" }, bar));
      row.dataset.activity = activity.activity_id;
      ROWS.set(activity.activity_id, row);
      gantt.appendChild(row);
    }

    const search = document.getElementById("act-search");
    const failing = document.getElementById("act-failing");
    const apply = () => {
      const needle = search.value.trim().toLowerCase();
      let shown = 0;
      for (const [activity] of ordered) {
        const hit = (!failing.checked || activity.errors || activity.warnings) &&
          (!needle || activity.activity_id.includes(needle) ||
            (activity.description || "").toLowerCase().includes(needle) ||
            (activity.name || "").toLowerCase().includes(needle));
        ROWS.get(activity.activity_id).hidden = !hit;
        if (hit) shown++;
      }
      count.textContent = fmt.format(shown) + " shown of " + fmt.format(list.length) +
        (DATA.activities_total > list.length ? " embedded (" + fmt.format(DATA.activities_total) +
          " in the trace: failing and slowest first)" : "") +
        (DATA.without_activity ? " · " + fmt.format(DATA.without_activity) +
          (DATA.without_activity === 1 ? " event carries" : " events carry") + " no ActivityID" : "");
    };
    search.addEventListener("input", apply);
    failing.addEventListener("change", apply);
    apply();
  }

  function selectActivity(activityId, scroll) {
    const activity = ACTIVITIES.get(activityId);
    if (!activity) return;
    if (selectedRow) selectedRow.classList.remove("selected");
    selectedRow = ROWS.get(activityId) || null;
    if (selectedRow) {
      selectedRow.hidden = false;
      selectedRow.classList.add("selected");
      if (scroll) selectedRow.scrollIntoView({ block: "center" });
    }
    const detail = document.getElementById("act-detail");
    detail.textContent = "";
    detail.appendChild(el("h3", null, "Activity ", el("span", { cls: "mono", text: activity.activity_id })));
    const facts = el("dl");
    const add = (name, ...value) => { facts.appendChild(el("dt", { text: name })); facts.appendChild(el("dd", null, ...value)); };
    if (activity.name) add("Name", activity.name);
    add("Doing", activity.description || "—");
    if (activity.first_error) add("First error", activity.first_error);
    add("Worst level", levelBadge(activity.worst_level));
    add("Events", fmt.format(activity.event_count) + " (" + activity.errors + " errors, " + activity.warnings + " warnings)");
    add("First", shortTime(activity.first));
    add("Last", shortTime(activity.last));
    add("Duration", formatDuration(activity.duration_ms));
    if (activity.parent) add("Transferred from", activityButton(activity.parent, activity.parent));
    if (activity.children && activity.children.length) {
      const kids = el("span");
      activity.children.slice(0, 50).forEach((c, i) => {
        if (i) kids.appendChild(document.createTextNode(", "));
        kids.appendChild(activityButton(c, c.slice(0, 8)));
      });
      if (activity.children.length > 50) kids.appendChild(document.createTextNode(" … " + (activity.children.length - 50) + " more"));
      add("Transferred to", kids);
    }
    detail.appendChild(facts);
    const family = [activityId, ...(activity.children || []).slice(0, 30)]
      .map((id) => ACTIVITIES.get(id)).filter(Boolean);
    if (family.length > 1) detail.appendChild(familyChart(family, activityId));
    const events = (BY_ACTIVITY.get(activityId) || []).slice().sort((a, b) => a.n - b.n);
    let note;
    if (!activity.events_kept) {
      note = "Only this activity's errors, warnings and events among the first " +
        fmt.format(DATA.caps.head_events) + " of the trace are embedded (its events are kept for the first " +
        DATA.caps.activities_with_events + " activities only); `wcfevents activities FILE --activity " +
        activity.activity_id + "` lists them all.";
    } else if (events.length < activity.event_count) {
      note = "The first " + fmt.format(events.length) + " of its " + fmt.format(activity.event_count) + " events.";
    }
    if (note) detail.appendChild(el("p", { cls: "muted", text: note }));
    const ul = el("ul", { cls: "evlist", id: "act-events" });
    for (const e of events) ul.appendChild(eventItem(e));
    if (!events.length) ul.appendChild(el("li", { cls: "muted", text: "No events of this activity are embedded." }));
    detail.appendChild(ul);
    if (scroll) document.getElementById("activities").scrollIntoView();
  }

  // The selected activity and the activities it transferred to, on their own time scale: on the
  // whole trace's scale a call of a few milliseconds is a sliver.
  function familyChart(family, selected) {
    const times = family.map((a) => [parseTime(a.first), parseTime(a.last)]);
    const lo = Math.min(...times.map((t) => t[0]).filter((t) => !isNaN(t)));
    const hi = Math.max(...times.map((t) => t[1]).filter((t) => !isNaN(t)));
    const range = Math.max(hi - lo, 0.001);
    const chart = el("div", { cls: "gantt family" },
      el("div", { cls: "row axis" }, el("div", { cls: "label", text: "transfers" }),
        el("div", { cls: "track" }, el("span", { cls: "tick first", text: "+0" }),
          el("span", { cls: "tick last", text: "+" + formatDuration(range) }))));
    family.forEach((a, i) => {
      const [first, last] = times[i];
      const role = a.activity_id === selected ? "this" : "child";
      const bar = el("div", { cls: "bar b-" + levelKey(a.worst_level) });
      if (!isNaN(first)) {
        bar.style.left = ((first - lo) / range) * 100 + "%";
        bar.style.width = (((isNaN(last) ? first : last) - first) / range) * 100 + "%";
      }
      const row = el("div", { cls: "row" + (role === "this" ? " selected" : ""),
        onclick: () => selectActivity(a.activity_id, false) },
      el("div", { cls: "label", title: a.activity_id },
        el("span", { cls: "aid", text: role }), a.name || a.description || a.activity_id.slice(0, 8)),
      el("div", { cls: "track" }, bar));
      chart.appendChild(row);
    });
    return chart;
  }

  // -- errors and warnings ----------------------------------------------------------------

  function issues() {
    const body = document.getElementById("issues-body");
    const rows = DATA.issues.map((n) => BY_ORDINAL.get(n)).filter(Boolean);
    const intro = el("p", null, fmt.format(DATA.issues_total) + " errors and warnings");
    if (DATA.issues_total > rows.length) {
      intro.appendChild(document.createTextNode(": the first " + fmt.format(rows.length) +
        " are embedded, " + fmt.format(DATA.issues_total - rows.length) + " more are counted in the overview only."));
    }
    body.appendChild(intro);
    if (!rows.length) return;
    const groups = new Map();
    for (const e of rows) {
      const key = str(e.provider) + "\u0000" + str(e.event_id);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(e);
    }
    const totals = new Map(DATA.summary.events.map((r) => [str(r.provider) + "\u0000" + str(r.event_id), r.count]));
    const rank = (e) => ({ Critical: 0, Error: 1, Warning: 2 })[e.level] ?? 3;
    const ordered = [...groups.values()].sort((a, b) => rank(a[0]) - rank(b[0]) || b.length - a.length);
    ordered.forEach((members, index) => {
      const first = members[0];
      const total = totals.get(str(first.provider) + "\u0000" + str(first.event_id)) || members.length;
      const summary = el("summary", null, levelBadge(first.level), el("strong", { text: str(first.event_id) }),
        el("span", { text: first.symbol || "(unknown event)" }),
        el("span", { cls: "muted", text: "×" + fmt.format(total) + (total > members.length ? " (" + fmt.format(members.length) + " embedded)" : "") }),
        docLink(first.event_id));
      const group = el("details", { cls: "group" }, summary);
      for (const hint of new Set(members.map((e) => e.hint).filter(Boolean))) {
        group.appendChild(el("div", { cls: "hint" }, el("strong", { text: "Hint: " }), hint));
      }
      const fill = () => {
        const ul = el("ul", { cls: "evlist" });
        for (const e of members) ul.appendChild(eventItem(e, { activityLink: true, compact: true }));
        group.appendChild(ul);
      };
      if (index < 3) { group.open = true; fill(); } else {
        group.addEventListener("toggle", function once() { group.removeEventListener("toggle", once); fill(); });
      }
      body.appendChild(group);
    });
  }

  // -- events table -----------------------------------------------------------------------

  const SHOW_ROWS = 500; // rows drawn at a time; "show more" draws the next ones

  function parseIds(text) {
    const ranges = [];
    for (const part of text.split(",")) {
      const item = part.trim();
      if (!item) continue;
      const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(item);
      if (!m) return null;
      ranges.push([Number(m[1]), Number(m[2] || m[1])]);
    }
    return ranges;
  }

  function eventsTable() {
    const tbody = document.querySelector("#ev-table tbody");
    const levelBox = document.getElementById("ev-levels");
    const keyword = document.getElementById("ev-keyword");
    const idInput = document.getElementById("ev-id");
    const textInput = document.getElementById("ev-text");
    const count = document.getElementById("ev-count");
    const levels = [...new Set(EVENTS.map((e) => e.level || "Other"))]
      .sort((a, b) => LEVELS.indexOf(a) - LEVELS.indexOf(b));
    const checks = new Map();
    for (const level of levels) {
      const box = el("input", { type: "checkbox", checked: true, value: level });
      checks.set(level, box);
      levelBox.appendChild(el("label", { cls: "lvl lvl-" + levelKey(level) }, box, " " + level));
    }
    const keywords = [...new Set(EVENTS.flatMap((e) => e.keywords || []))].sort();
    for (const k of keywords) keyword.appendChild(el("option", { value: k, text: k }));
    const haystacks = new Map(EVENTS.map((e) => [e.n, [e.message, e.symbol, e.activity_id,
      e.computer, ...Object.values(e.data || {})].map(str).join("\n").toLowerCase()]));

    const more = el("button", { type: "button", id: "ev-more", hidden: true });
    document.querySelector("#events .table-wrap").after(more);
    let matches = [];
    let drawn = 0;

    function row(e) {
      const tr = el("tr", { cls: "ev" },
        el("td", { cls: "time", text: shortTime(e.timestamp) }),
        el("td", null, levelBadge(e.level)),
        el("td", { cls: "num", text: str(e.event_id) }),
        el("td", { text: e.symbol || "" }),
        el("td", { cls: "msg", text: e.message === null ? "" : str(e.message) }),
        el("td", { cls: "act" }, e.activity_id ? activityButton(e.activity_id, e.activity_id.slice(0, 8)) : ""));
      tr.addEventListener("click", (ev) => {
        if (ev.target.closest("button, a")) return;
        const next = tr.nextSibling;
        if (next && next.classList && next.classList.contains("expand")) { next.remove(); return; }
        const cell = el("td", { colSpan: 6, cls: "payload" }, docLink(e.event_id), payloadTable(e));
        tr.after(el("tr", { cls: "expand" }, cell));
      });
      return tr;
    }

    function drawMore() {
      const next = matches.slice(drawn, drawn + SHOW_ROWS);
      for (const e of next) tbody.appendChild(row(e));
      drawn += next.length;
      const left = matches.length - drawn;
      more.hidden = left <= 0;
      more.textContent = "Show " + fmt.format(Math.min(left, SHOW_ROWS)) + " more of " + fmt.format(left);
      count.textContent = fmt.format(matches.length) + " of " + fmt.format(EVENTS.length) +
        " embedded events match" + (left > 0 ? " (" + fmt.format(drawn) + " shown)" : "") +
        (DATA.events_total > EVENTS.length ? " · " + fmt.format(DATA.events_total) + " in the trace" : "");
    }
    more.addEventListener("click", drawMore);

    function apply() {
      const ids = parseIds(idInput.value);
      idInput.setCustomValidity(ids === null ? "IDs and ranges: 4001-4035,214" : "");
      const needle = textInput.value.trim().toLowerCase();
      const wanted = keyword.value;
      matches = EVENTS.filter((e) => checks.get(e.level || "Other").checked &&
        (!wanted || (e.keywords || []).includes(wanted)) &&
        (!ids || !ids.length || ids.some(([a, b]) => e.event_id >= a && e.event_id <= b)) &&
        (!needle || haystacks.get(e.n).includes(needle)));
      tbody.textContent = "";
      drawn = 0;
      drawMore();
    }
    let pending = null;
    const later = () => { clearTimeout(pending); pending = setTimeout(apply, 120); };
    levelBox.addEventListener("change", apply);
    keyword.addEventListener("change", apply);
    idInput.addEventListener("input", later);
    textInput.addEventListener("input", later);
    apply();
  }

  timeline();
  activities();
  issues();
  eventsTable();
  document.body.dataset.ready = "true";
})();
