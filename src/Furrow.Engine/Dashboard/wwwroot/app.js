// Furrow Dashboard: one page that reads the engine's API (/api/v1) as any client does and follows its event stream.
// Every value from the engine is put into the page as text (el() and textContent), never as markup: job titles,
// argv and logs are whatever users spooled.

const STATES = ['blocked', 'ready', 'active', 'error', 'done'];
const STATE_NAMES = { blocked: 'Blocked', ready: 'Ready', active: 'Active', error: 'Error', done: 'Done' };

const app = {
  auth: null,        // GET /api/v1/auth
  csrf: null,        // the cookie session's CSRF token, sent on every unsafe call
  paused: false,     // dispatch paused (the banner on every page)
  view: null,        // the current view: { name, route(params), onEvent(type, data), dispose() }
  events: null,      // the EventSource
  listeners: new Set(),
};

// ---------------------------------------------------------------------------------------------------------------------
// Building the page: text only.

/** Makes an element: props sets attributes (on* adds listeners, text sets textContent); children are nodes or text. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = shown(String(value));
    else if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    // Through the CSSOM: the page's Content-Security-Policy refuses style attributes, not style properties set by its script.
    else if (key === 'style') setStyle(node, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

// Characters that could disguise what a user wrote: control characters (line ends and tabs aside) and the
// bidirectional overrides that reorder what follows them (a title whose end reads as its start). Shown as escapes, as tq does.
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const LOG_HIDDEN = /[\u0000\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const escapeChar = c => c.charCodeAt(0) <= 0xff ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** User text as it may be shown: every character in HIDDEN written as an escape (\x1b, \u202e). */
function shown(text) { return text.replace(HIDDEN, escapeChar); }

/** A log's text: its layout characters (line ends, carriage returns, tabs, colour codes) as printed, reordering marks escaped. */
function shownLog(text) { return text.replace(LOG_HIDDEN, escapeChar); }

function setStyle(node, text) {
  for (const declaration of String(text).split(';')) {
    const colon = declaration.indexOf(':');
    if (colon > 0) node.style.setProperty(declaration.slice(0, colon).trim(), declaration.slice(colon + 1).trim());
  }
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(shown(String(child))));
  }
  return node;
}

function clear(node) { node.replaceChildren(); return node; }

function link(href, text, props = {}) { return el('a', { href, 'data-link': true, text, ...props }); }

function stateChip(state) { return el('span', { class: `state ${state}`, text: STATE_NAMES[state] ?? state }); }

const timeFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const fullTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

/** A time (Unix ms) in the viewer's zone, with the full date and zone on hover. */
function timeCell(ms) {
  if (!ms) return el('span', { class: 'muted', text: '-' });
  const date = new Date(ms);
  return el('time', { datetime: date.toISOString(), title: fullTimeFormat.format(date), text: timeFormat.format(date) });
}

function duration(ms) {
  if (ms === null || ms === undefined || ms < 0) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h ${String(m % 60).padStart(2, '0')}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}

function bytes(n) {
  if (n === null || n === undefined) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** A bar of a job's or task's tasks: done, active, error, ready, in that order. */
function progressBar(counts, total, label) {
  const bar = el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': total || 100,
    'aria-valuenow': counts.done ?? 0, 'aria-label': label });
  for (const state of ['done', 'active', 'error', 'ready']) {
    const n = counts[state] ?? 0;
    if (n > 0 && total > 0) bar.append(el('i', { class: state, style: `width:${(100 * n / total).toFixed(2)}%` }));
  }
  return bar;
}

function showMessage(text, ok = false) {
  const box = document.getElementById('message');
  box.textContent = text;
  box.className = ok ? 'message ok' : 'message';
  box.hidden = !text;
  if (ok && text) setTimeout(() => { if (box.textContent === text) box.hidden = true; }, 6000);
}

// ---------------------------------------------------------------------------------------------------------------------
// The API.

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/** Calls the engine; returns the JSON reply (or the Response when raw), throws ApiError with the engine's own words. */
async function api(path, { method = 'GET', body, query, raw = false, headers = {} } = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, value);
    const text = params.toString();
    if (text) url += (url.includes('?') ? '&' : '?') + text;
  }
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin' };
  if (method !== 'GET' && app.csrf) init.headers['X-CSRF-Token'] = app.csrf;
  if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  const response = await fetch(url, init);
  const csrf = response.headers.get('X-CSRF-Token');
  if (csrf) app.csrf = csrf;
  if (!response.ok && response.status !== 206) {
    let message = `${method} ${path}: ${response.status} ${response.statusText}`;
    try { const problem = await response.json(); if (problem && problem.msg) message = problem.msg; } catch { /* not JSON */ }
    if (response.status === 401 && !path.startsWith('/api/v1/auth')) { signInAgain(); }
    throw new ApiError(response.status, message);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/** Every row of a listing: its pages one after another, following each reply's `Link: <...>; rel="next"`. */
async function apiAll(path, query) {
  const rows = [];
  let response = await api(path, { query, raw: true });
  for (;;) {
    rows.push(...await response.json());
    const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('Link') ?? '');
    if (!next || !next[1].startsWith('/api/v1/')) return rows;
    response = await api(next[1], { raw: true });
  }
}

/** Runs an operation (POST /api/v1/operations/OP) on what the clause names; says what it did or why not. */
async function operate(operation, clause, { others = false, extra = {} } = {}) {
  try {
    const reply = await api(`/api/v1/operations/${operation}`, { method: 'POST', query: { q: clause, force: others ? 1 : undefined, ...extra } });
    const refused = reply.refused?.length ? ` Refused: ${reply.refused.join('; ')}` : '';
    showMessage(`${operation}: ${reply.affected} affected.${refused}`, !reply.refused?.length);
    return reply;
  } catch (error) {
    showMessage(`${operation}: ${error.message}`);
    return null;
  }
}

function signInAgain() {
  if (location.pathname !== '/signin') navigate(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`, true);
}

// ---------------------------------------------------------------------------------------------------------------------
// Live updates: the engine's Server-Sent Events. Each event names what changed; views read it again.

function connectEvents() {
  if (app.events) return;
  const live = document.getElementById('live');
  const source = new EventSource('/api/v1/events');
  app.events = source;
  source.onopen = () => { live.textContent = 'live'; live.classList.add('on'); };
  source.onerror = () => {
    live.textContent = 'reconnecting';
    live.classList.remove('on');
    // The browser reconnects by itself (sending Last-Event-ID) unless the engine refused the stream outright.
    if (source.readyState === EventSource.CLOSED) {
      app.events = null;
      setTimeout(() => { if (app.auth?.user) { connectEvents(); dispatchEvent('reset', {}); } }, 3000);
    }
  };
  for (const type of ['jobs', 'tasks', 'log', 'blades', 'engine', 'reset']) {
    source.addEventListener(type, message => {
      let data = {};
      try { data = JSON.parse(message.data || '{}'); } catch { /* an event without data */ }
      dispatchEvent(type, data);
    });
  }
}

function dispatchEvent(type, data) {
  if (type === 'engine' && typeof data.dispatchPaused === 'boolean') setPaused(data.dispatchPaused);
  if (type === 'reset') refreshStatus();
  summary.onEvent(type);
  app.view?.onEvent?.(type, data);
}

function setPaused(paused) {
  app.paused = paused;
  document.getElementById('paused-banner').hidden = !paused;
  document.body.classList.toggle('dispatch-paused', paused);
}

async function refreshStatus() {
  try { setPaused((await api('/api/v1/status')).dispatchPaused); } catch { /* shown by the view */ }
}

/**
 * Coalesces calls: fn runs wait ms after the first ask with every key asked for since, one run at a time (asks that
 * come while it runs are gathered for the next run), so a burst of events costs one request, and a lone one little delay.
 */
function batcher(wait, fn) {
  let keys = new Set();
  let dirty = false, running = false, timer = null;
  const schedule = () => { if (dirty && !timer && !running) timer = setTimeout(run, wait); };
  async function run() {
    timer = null;
    running = true;
    dirty = false;
    const taken = [...keys];
    keys = new Set();
    try { await fn(taken); } catch { /* the next ask tries again */ } finally { running = false; schedule(); }
  }
  return key => {
    if (key !== undefined) (Array.isArray(key) ? key : [key]).forEach(k => keys.add(k));
    dirty = true;
    schedule();
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// The farm summary in the header: tasks per state, blades busy and idle, dispatches per minute over the last hour.

const summary = {
  refresh: null,
  init() {
    this.refresh = batcher(1500, () => this.load());
    this.load();
  },
  onEvent(type) { if (type !== 'log' && this.refresh) this.refresh(); },
  async load() {
    const box = document.getElementById('summary');
    let data;
    try { data = await api('/api/v1/summary'); } catch { box.hidden = true; return; }
    const chips = el('div', { class: 'chips' });
    for (const state of ['active', 'ready', 'blocked', 'error', 'done']) {
      const n = data.tasks?.[state] ?? 0;
      chips.append(el('span', { class: 'chip', title: `${STATE_NAMES[state]} tasks`, 'data-state': state },
        el('span', { class: `state ${state}`, 'aria-hidden': 'true' }), `${n.toLocaleString()} ${state}`));
    }
    const blades = data.blades ?? {};
    const bladesText = el('span', { class: 'chip', title: 'Blades' }, `blades ${blades.busy ?? 0} busy / ${blades.idle ?? 0} idle`);
    const perMinute = data.dispatchesPerMinute ?? [];
    const total = perMinute.reduce((a, b) => a + b, 0);
    box.replaceChildren(chips, bladesText, sparkline(perMinute, `${total} dispatches in the last hour`),
      el('span', { text: `${total} dispatched in the last hour` }));
    box.hidden = false;
  },
};

function sparkline(values, label) {
  const ns = 'http://www.w3.org/2000/svg';
  const width = 120, height = 22;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', width); svg.setAttribute('height', height); svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', label);
  const title = document.createElementNS(ns, 'title'); title.textContent = label; svg.append(title);
  const max = Math.max(1, ...values);
  const w = width / Math.max(values.length, 1);
  values.forEach((v, i) => {
    const h = v === 0 ? 0 : Math.max(1.5, (height - 2) * v / max);
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', (i * w).toFixed(1)); rect.setAttribute('y', (height - h).toFixed(1));
    rect.setAttribute('width', Math.max(w - 0.5, 0.5).toFixed(1)); rect.setAttribute('height', h.toFixed(1));
    svg.append(rect);
  });
  return svg;
}

// ---------------------------------------------------------------------------------------------------------------------
// A grid of fixed-height rows that draws only the rows in view: thousands of jobs, tens of thousands of tasks.
// Keyboard: arrows, Page Up/Down, Home/End move; Enter opens; Space selects (when rows are selectable).

class Grid {
  constructor({ label, columns, key, onOpen, selectable = false, rowClass, rowLabel, onSelection }) {
    this.columns = columns;
    this.key = key;
    this.onOpen = onOpen;
    this.selectable = selectable;
    this.rowClass = rowClass;
    this.rowLabel = rowLabel;
    this.onSelection = onSelection;
    this.rows = [];
    this.index = new Map();
    this.selected = new Set();
    this.current = null;
    this.sort = null;
    this.rowHeight = 30;
    const cols = (selectable ? ['28px'] : []).concat(columns.map(c => c.width ?? '1fr')).join(' ');
    this.element = el('div', { class: 'grid', role: 'grid', 'aria-label': label, 'aria-rowcount': 1, style: `--cols:${cols}` });
    this.head = el('div', { class: 'head', role: 'row', 'aria-rowindex': 1 });
    if (selectable) {
      this.all = el('input', { type: 'checkbox', 'aria-label': 'Select all rows', onchange: () => this.selectAll(this.all.checked) });
      this.head.append(el('span', { role: 'columnheader' }, this.all));
    }
    for (const column of columns) {
      const cell = el('span', { role: 'columnheader', class: column.numeric ? 'num' : '' });
      if (column.sort) {
        column.button = el('button', { type: 'button', text: column.label, 'aria-sort': 'none', onclick: () => this.sortBy(column) });
        cell.append(column.button);
      } else cell.textContent = column.label;
      this.head.append(cell);
    }
    this.spacer = el('div', { class: 'spacer', role: 'rowgroup' });
    this.body = el('div', { class: 'body', tabindex: 0, 'aria-label': `${label} rows` }, this.spacer);
    this.emptyText = el('div', { class: 'empty', text: 'Nothing to show.', hidden: true });
    this.element.append(this.head, this.body, this.emptyText);
    this.body.addEventListener('scroll', () => this.draw());
    this.body.addEventListener('keydown', e => this.onKey(e));
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(this.body);
  }

  dispose() { this.resize.disconnect(); }

  setEmptyText(text) { this.emptyText.textContent = text; }

  /** Replaces every row; selection and the current row stay where their keys still are. */
  setRows(rows) {
    this.rows = rows.slice();
    this.applySort();
    this.reindex();
    for (const key of [...this.selected]) if (!this.index.has(key)) this.selected.delete(key);
    this.draw();
    this.selectionChanged();
  }

  /** Puts changed rows in place (new ones at the end, or where the sort puts them) and takes removed keys out. */
  patch(changed, removedKeys = []) {
    const removed = new Set(removedKeys);
    let rows = this.rows.filter(r => !removed.has(this.key(r)));
    const byKey = new Map(changed.map(r => [this.key(r), r]));
    rows = rows.map(r => { const key = this.key(r); if (byKey.has(key)) { const next = byKey.get(key); byKey.delete(key); return next; } return r; });
    rows.push(...byKey.values());
    this.rows = rows;
    if (this.sort) this.applySort();
    this.reindex();
    for (const key of removed) this.selected.delete(key);
    this.draw();
    this.selectionChanged();
  }

  reindex() { this.index = new Map(this.rows.map((r, i) => [this.key(r), i])); this.element.setAttribute('aria-rowcount', this.rows.length + 1); }

  row(key) { const i = this.index.get(key); return i === undefined ? undefined : this.rows[i]; }

  sortBy(column) {
    const descending = this.sort?.column === column && !this.sort.descending;
    this.sort = { column, descending };
    for (const c of this.columns) c.button?.setAttribute('aria-sort', c === column ? (descending ? 'descending' : 'ascending') : 'none');
    this.applySort();
    this.reindex();
    this.draw();
  }

  applySort() {
    if (!this.sort) return;
    const { column, descending } = this.sort;
    const value = typeof column.sort === 'function' ? column.sort : r => r[column.sort];
    const sign = descending ? -1 : 1;
    this.rows.sort((a, b) => {
      const x = value(a), y = value(b);
      const order = typeof x === 'string' || typeof y === 'string'
        ? String(x ?? '').localeCompare(String(y ?? ''), undefined, { numeric: true })
        : (x ?? -Infinity) - (y ?? -Infinity);
      return sign * order || (this.key(a) > this.key(b) ? 1 : -1);
    });
  }

  selectAll(on) {
    this.selected = on ? new Set(this.rows.map(this.key)) : new Set();
    this.draw();
    this.selectionChanged();
  }

  toggle(key, on) {
    if (on ?? !this.selected.has(key)) this.selected.add(key); else this.selected.delete(key);
    this.draw();
    this.selectionChanged();
  }

  selectionChanged() {
    if (this.all) {
      this.all.checked = this.rows.length > 0 && this.selected.size === this.rows.length;
      this.all.indeterminate = this.selected.size > 0 && this.selected.size < this.rows.length;
    }
    this.onSelection?.([...this.selected]);
  }

  setCurrent(key, { focus = false, scroll = true } = {}) {
    this.current = key;
    const i = this.index.get(key);
    if (i !== undefined && scroll) {
      const top = i * this.rowHeight, bottom = top + this.rowHeight;
      if (top < this.body.scrollTop) this.body.scrollTop = top;
      else if (bottom > this.body.scrollTop + this.body.clientHeight) this.body.scrollTop = bottom - this.body.clientHeight;
    }
    this.draw();
    if (focus) this.spacer.querySelector('.row.current')?.focus();
  }

  onKey(e) {
    if (!this.rows.length) return;
    let i = this.index.get(this.current) ?? -1;
    const page = Math.max(1, Math.floor(this.body.clientHeight / this.rowHeight) - 1);
    switch (e.key) {
      case 'ArrowDown': i = Math.min(this.rows.length - 1, i + 1); break;
      case 'ArrowUp': i = Math.max(0, i - 1); break;
      case 'PageDown': i = Math.min(this.rows.length - 1, i + page); break;
      case 'PageUp': i = Math.max(0, i - page); break;
      case 'Home': i = 0; break;
      case 'End': i = this.rows.length - 1; break;
      case 'Enter': if (this.current !== null && this.row(this.current)) this.onOpen?.(this.row(this.current)); e.preventDefault(); return;
      case ' ':
        if (this.selectable && this.current !== null) { this.toggle(this.current); e.preventDefault(); }
        return;
      default: return;
    }
    e.preventDefault();
    this.setCurrent(this.key(this.rows[Math.max(i, 0)]), { focus: true });
  }

  draw() {
    const total = this.rows.length;
    this.emptyText.hidden = total > 0;
    this.spacer.style.height = `${total * this.rowHeight}px`;
    // Never more rows than a window can show, whatever the layout gives the list.
    const view = Math.min(this.body.clientHeight || 600, window.innerHeight || 1200);
    const first = Math.max(0, Math.floor(this.body.scrollTop / this.rowHeight) - 8);
    const last = Math.min(total, Math.ceil((this.body.scrollTop + view) / this.rowHeight) + 8);
    const hadFocus = this.spacer.contains(document.activeElement) && document.activeElement.classList.contains('row');
    const nodes = [];
    for (let i = first; i < last; i++) nodes.push(this.drawRow(this.rows[i], i));
    this.spacer.replaceChildren(...nodes);
    if (hadFocus) this.spacer.querySelector('.row.current')?.focus();
  }

  drawRow(row, i) {
    const key = this.key(row);
    const selected = this.selected.has(key);
    const node = el('div', {
      class: `row${key === this.current ? ' current' : ''}${this.rowClass ? ' ' + this.rowClass(row) : ''}`,
      role: 'row', 'aria-rowindex': i + 2, 'aria-selected': this.selectable ? String(selected) : undefined,
      'aria-label': this.rowLabel?.(row), tabindex: key === this.current ? 0 : -1, 'data-key': key,
      style: `top:${i * this.rowHeight}px`,
    });
    if (this.selectable) {
      node.append(el('span', { role: 'gridcell' }, el('input', { type: 'checkbox', checked: selected, tabindex: -1,
        'aria-label': `Select ${this.rowLabel?.(row) ?? key}`, onchange: e => this.toggle(key, e.target.checked), onclick: e => e.stopPropagation() })));
    }
    for (const column of this.columns) {
      const content = column.cell(row);
      node.append(el('span', { role: 'gridcell', class: column.numeric ? 'num' : '' }, content));
    }
    node.addEventListener('click', e => {
      if (e.target.closest('a, button, input')) return;
      this.setCurrent(key, { scroll: false });
      this.onOpen?.(row);
    });
    return node;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Jobs: the list, filtered with tq's clause language, sorted, selected and acted on.

function jobCounts(job) {
  return { blocked: job.numBlocked, ready: job.numReady, active: job.numActive, error: job.numError, done: job.numDone };
}

function jobState(job) {
  if (job.deleted) return 'deleted';
  if (job.paused) return 'paused';
  if (job.numError > 0) return 'error';
  if (job.numActive > 0) return 'active';
  if (job.numTasks > 0 && job.numDone === job.numTasks) return 'done';
  return job.numReady > 0 ? 'ready' : 'blocked';
}

function jobProgress(job) {
  return el('span', { class: 'progress' }, progressBar(jobCounts(job), job.numTasks, `Job ${job.jid} progress: ${job.numDone} of ${job.numTasks} tasks done`),
    el('span', { text: `${job.numDone}/${job.numTasks}` }));
}

function countsCell(counts) {
  return el('span', { class: 'counts' }, STATES.map(s => el('span', { class: `state-count`, title: STATE_NAMES[s] },
    el('span', { class: `state ${s}`, 'aria-label': STATE_NAMES[s] }), String(counts[s] ?? 0))));
}

const JOB_ACTIONS = [
  { op: 'pause', label: 'Pause' },
  { op: 'unpause', label: 'Unpause' },
  { op: 'retryallerrs', label: 'Retry errors' },
  { op: 'skipallerrs', label: 'Skip errors' },
  { op: 'chpri', label: 'Priority…' },
  { op: 'delete', label: 'Delete', class: 'danger' },
  { op: 'undelete', label: 'Undelete' },
];

/** Whether a job action can change the job at all: pause an unpaused job, retry or skip one with errors, undelete a deleted one. */
function actionApplies(op, job) {
  switch (op) {
    case 'pause': return !job.deleted && !job.paused;
    case 'unpause': return !job.deleted && job.paused;
    case 'retryallerrs': case 'skipallerrs': return !job.deleted && job.numError > 0;
    case 'undelete': return job.deleted;
    default: return !job.deleted;
  }
}

/**
 * Whether the engine lets this user run an operation on a job, as the job list said (its `allowed`, asked for with
 * allowed=1: crews.config's edit policies, the job's lock, read-only logins); a row without it is left to the engine.
 */
function jobAllows(job, op) { return !job.allowed || job.allowed.includes(op); }

/** The tooltip naming the jobs an action is not allowed on; '' when there are none. */
function notAllowedText(label, jobs, others) {
  if (!jobs.length) return '';
  const names = jobs.map(j => j.jid).sort((a, b) => a - b).map(jid => `J${jid}`);
  const shown = names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', ');
  return `${label}: not allowed on ${shown} (crews.config's edit policies, or a lock)${others ? '; it acts on the others only' : ''}`;
}

/** The note beside a toolbar naming the actions crews.config or a lock keeps from (some of) the jobs; '' for none. */
function deniedNote(labels) {
  return labels.length ? `Not allowed by crews.config or a lock: ${labels.join(', ')} (a button's tooltip names the jobs)` : '';
}

/** Sets a button's tooltip, or removes it when there is nothing to say. */
function setTitle(node, text) { if (text) node.title = text; else node.removeAttribute('title'); }

/** Runs a job action on the given jobs, asking what an operator must confirm: other users' jobs, deletion, the new priority. */
async function jobAction(action, jobs) {
  if (!jobs.length) return null;
  const clause = `jid in [${jobs.map(j => j.jid).join(', ')}]`;
  const others = jobs.filter(j => j.owner !== app.auth.user);
  const extra = {};
  if (action.op === 'chpri') {
    const answer = prompt(`New priority for ${jobs.length} job(s):`, String(jobs[0].priority));
    if (answer === null) return null;
    if (!/^-?\d+(\.\d+)?$/.test(answer.trim())) { showMessage(`chpri: '${answer}' is not a number`); return null; }
    extra.priority = answer.trim();
  }
  if (action.op === 'delete' && !confirm(`Delete ${jobs.length} job(s)? They can be undeleted until they are purged.`)) return null;
  if (others.length && !confirm(`${others.length} of these jobs belong to other users (${[...new Set(others.map(j => j.owner))].join(', ')}). ${action.label} them too?`)) return null;
  return operate(action.op, clause, { others: others.length > 0, extra });
}

function jobsView() {
  const params = new URLSearchParams(location.search);
  const filter = el('input', { type: 'search', class: 'grow', id: 'job-filter', value: params.get('q') ?? '', placeholder: 'e.g. owner=ana and not done',
    'aria-label': 'Filter jobs with a tq clause', spellcheck: 'false', autocomplete: 'off' });
  const deleted = el('input', { type: 'checkbox', id: 'show-deleted', checked: params.get('archived') === '1' });
  const count = el('span', { class: 'count', role: 'status' });
  const actions = el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Job actions' });
  let selectedJobs = [];
  // Jobs the engine would refuse the action on are not sent: the button's tooltip names them.
  const buttons = JOB_ACTIONS.map(action => el('button', { type: 'button', class: action.class, text: action.label, 'data-op': action.op, disabled: true,
    onclick: async () => {
      const jobs = selectedJobs.filter(j => jobAllows(j, action.op));
      if (await jobAction(action, jobs)) refreshSome(jobs.map(j => j.jid));
    } }));
  const denied = el('span', { class: 'muted denied', id: 'actions-denied', role: 'note' });
  actions.append(...buttons, denied);
  const grid = new Grid({
    label: 'Jobs', key: j => j.jid, selectable: true,
    rowLabel: j => `Job ${j.jid} ${j.title}`,
    rowClass: j => `job-${jobState(j)}`,
    onOpen: j => navigate(`/jobs/${j.jid}`),
    onSelection: keys => {
      selectedJobs = keys.map(k => grid.row(k)).filter(Boolean);
      const deniedLabels = [];
      for (const b of buttons) {
        const applying = selectedJobs.filter(j => actionApplies(b.dataset.op, j));
        const refused = applying.filter(j => !jobAllows(j, b.dataset.op));
        b.disabled = app.auth.readOnly || applying.length === refused.length;
        setTitle(b, app.auth.readOnly ? '' : notAllowedText(b.textContent, refused, refused.length < applying.length));
        if (refused.length && !app.auth.readOnly) deniedLabels.push(refused.length < applying.length ? `${b.textContent} (some jobs)` : b.textContent);
      }
      denied.textContent = deniedNote(deniedLabels);
      setTitle(denied, denied.textContent);
      count.textContent = `${grid.rows.length.toLocaleString()} job${grid.rows.length === 1 ? '' : 's'}${selectedJobs.length ? `, ${selectedJobs.length} selected` : ''}`;
    },
    columns: [
      { label: 'Job', width: '70px', sort: 'jid', numeric: true, cell: j => link(`/jobs/${j.jid}`, String(j.jid), { 'aria-label': `Open job ${j.jid}` }) },
      { label: 'Owner', width: '110px', sort: 'owner', cell: j => j.owner },
      { label: 'Title', width: 'minmax(160px, 3fr)', sort: 'title', cell: j => el('span', { class: 'job-title', title: j.title, text: j.title }) },
      { label: 'State', width: '80px', sort: jobState, cell: j => stateChip(jobState(j)) },
      { label: 'Priority', width: '70px', sort: 'priority', numeric: true, cell: j => String(j.priority) },
      { label: 'Progress', width: 'minmax(120px, 1.4fr)', sort: j => (j.numTasks ? j.numDone / j.numTasks : 0), cell: jobProgress },
      { label: 'Tasks B R A E D', width: '220px', sort: 'numError', cell: j => countsCell(jobCounts(j)) },
      { label: 'Spooled', width: '150px', sort: 'spoolTime', cell: j => timeCell(j.spoolTime) },
    ],
  });
  grid.sortBy(grid.columns[0]);
  grid.sortBy(grid.columns[0]);   // newest first

  const form = el('form', { class: 'toolbar', role: 'search', onsubmit: e => { e.preventDefault(); apply(); } },
    el('label', { for: 'job-filter', text: 'Filter' }), filter, el('button', { type: 'submit', text: 'Apply' }),
    el('label', {}, deleted, ' deleted jobs'), count);
  deleted.addEventListener('change', () => apply());
  const root = el('section', { class: 'view jobs', 'aria-labelledby': 'jobs-title', style: 'display:flex;flex-direction:column;flex:1;min-height:0' },
    el('h1', { id: 'jobs-title', text: 'Jobs' }), form, actions, grid.element);

  function query(extraClause) {
    // The user's clause alone is sent as typed, so the engine's error names the token where they typed it.
    const clauses = [filter.value.trim(), extraClause].filter(Boolean);
    const q = clauses.length > 1 ? clauses.map(c => `(${c})`).join(' and ') : clauses[0];
    return { q, archived: deleted.checked ? 1 : undefined, limit: 0, allowed: 1 };
  }

  async function load() {
    try {
      grid.setEmptyText('Loading…');
      const rows = await apiAll('/api/v1/jobs', query());
      grid.setEmptyText(filter.value.trim() ? 'No job matches this filter.' : 'No jobs yet: spool one with tractor-spool.');
      grid.setRows(rows);
      showMessage('');
    } catch (error) {
      grid.setEmptyText('');
      grid.setRows([]);
      showMessage(error.message);
    }
  }

  function apply() {
    const next = new URLSearchParams();
    if (filter.value.trim()) next.set('q', filter.value.trim());
    if (deleted.checked) next.set('archived', '1');
    history.replaceState(null, '', `/jobs${next.toString() ? '?' + next : ''}`);
    load();
  }

  const refreshSome = batcher(20, async jids => {
    if (!jids.length) return;
    try {
      const rows = await api('/api/v1/jobs', { query: query(`jid in [${jids.join(', ')}]`) });
      const found = new Set(rows.map(r => r.jid));
      grid.patch(rows, jids.filter(j => !found.has(j)));
    } catch { /* the next event or a reload shows it */ }
  });

  load();
  return {
    name: 'jobs', element: root,
    focus: () => filter.focus(),
    onEvent(type, data) {
      if (type === 'jobs' && data.jids) refreshSome(data.jids);
      else if (type === 'tasks' && data.jid) refreshSome(data.jid);
      else if (type === 'reset') load();
    },
    dispose: () => grid.dispose(),
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// A job: its task tree (serial subtasks, instances), and one task's commands, why it waits, and its live log.

function jobView(jid, tid) {
  let job = null;
  let tasks = new Map();          // tid -> TaskRow
  let runs = new Map();           // tid -> { blade, start, stop } from its current invocations
  const collapsed = new Set();
  let selectedTid = tid;
  const header = el('div', { class: 'job-head' });
  const panel = el('aside', { class: 'panel task-panel', 'aria-label': 'Task' });
  const grid = new Grid({
    label: `Tasks of job ${jid}`, key: r => r.tid,
    rowLabel: r => `Task ${r.tid} ${r.title}, ${r.state}`,
    rowClass: r => `task-${r.state}`,
    onOpen: r => selectTask(r.tid, true),
    columns: [
      { label: 'Task', width: 'minmax(200px, 3fr)', cell: treeCell },
      { label: 'State', width: '80px', cell: r => stateChip(r.state) },
      { label: 'Progress', width: '90px', cell: r => r.progress === null || r.progress === undefined ? '' : `${r.progress}%` },
      { label: 'Elapsed', width: '80px', numeric: true, cell: r => elapsedOf(r) },
      { label: 'Blade', width: '120px', cell: r => r.blade ?? runs.get(r.tid)?.blade ?? '' },
      { label: 'Tries', width: '50px', numeric: true, cell: r => String(r.retryCount) },
    ],
  });
  grid.element.classList.add('tree');
  const root = el('section', { class: 'view job', style: 'display:flex;flex-direction:column;flex:1;min-height:0' },
    header, el('div', { class: 'split' }, grid.element, panel));

  function depthOf(r) {
    let depth = 0, parent = tasks.get(r.parentTid);
    while (parent && depth < 64) { depth++; parent = tasks.get(parent.parentTid); }
    return depth;
  }

  function treeCell(r) {
    const children = childrenOf.get(r.tid);
    const twist = children?.length
      ? el('button', { type: 'button', class: 'twist', 'aria-expanded': String(!collapsed.has(r.tid)), 'aria-label': `${collapsed.has(r.tid) ? 'Expand' : 'Collapse'} task ${r.tid}`,
        text: collapsed.has(r.tid) ? '\u25B8' : '\u25BE', onclick: e => { e.stopPropagation(); toggleCollapse(r.tid); } })
      : el('span', { class: 'twist' });
    const badges = [];
    if (r.serialSubtasks) badges.push(el('span', { class: 'badge', title: 'Its subtasks run one after another', text: 'serial' }));
    if (r.instanceOf?.length) badges.push(el('span', { class: 'badge', title: 'Runs nothing itself: done when these tasks are', text: `instance of ${r.instanceOf.map(t => 'T' + t).join(', ')}` }));
    return el('span', { class: 'title', style: `padding-left:${depthOf(r) * 16}px` }, twist,
      el('span', { class: 'muted', text: `${r.tid}\u00A0` }), el('span', { title: r.title, text: r.title }), badges);
  }

  function elapsedOf(r) {
    const run = runs.get(r.tid);
    if (r.state === 'active') return duration(Date.now() - (run?.start ?? r.stateTime));
    if (run?.start && run?.stop) return duration(run.stop - run.start);
    return '-';
  }

  let childrenOf = new Map();
  function flatten() {
    childrenOf = new Map();
    const roots = [];
    for (const r of [...tasks.values()].sort((a, b) => a.tid - b.tid)) {
      if (tasks.has(r.parentTid)) { if (!childrenOf.has(r.parentTid)) childrenOf.set(r.parentTid, []); childrenOf.get(r.parentTid).push(r); }
      else roots.push(r);
    }
    const out = [];
    const walk = list => { for (const r of list) { out.push(r); if (!collapsed.has(r.tid) && childrenOf.has(r.tid)) walk(childrenOf.get(r.tid)); } };
    walk(roots);
    return out;
  }

  function toggleCollapse(t) {
    if (collapsed.has(t)) collapsed.delete(t); else collapsed.add(t);
    grid.setRows(flatten());
  }

  function drawHeader() {
    if (!job) { header.replaceChildren(el('h1', { text: `Job ${jid}` })); return; }
    const counts = jobCounts(job);
    const ownJob = job.owner === app.auth.user;
    const actions = el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Job actions' },
      JOB_ACTIONS.filter(a => job.deleted ? a.op === 'undelete' : a.op !== 'undelete' && !(a.op === 'pause' && job.paused) && !(a.op === 'unpause' && !job.paused))
        .map(action => el('button', { type: 'button', class: action.class, text: action.label, 'data-op': action.op,
          disabled: app.auth.readOnly || !actionApplies(action.op, job) || !jobAllows(job, action.op),
          title: app.auth.readOnly ? undefined : notAllowedText(action.label, jobAllows(job, action.op) ? [] : [job]) || undefined,
          onclick: async () => { if (await jobAction(action, [job])) loadJob(); } })));
    const deniedLabels = app.auth.readOnly ? [] : [...actions.children].filter(b => actionApplies(b.dataset.op, job) && !jobAllows(job, b.dataset.op)).map(b => b.textContent);
    if (deniedLabels.length) actions.append(el('span', { class: 'muted denied', id: 'actions-denied', role: 'note', text: deniedNote(deniedLabels), title: deniedNote(deniedLabels) }));
    header.replaceChildren(
      el('h1', {}, link('/jobs', 'Jobs'), ' / ', el('span', { class: 'muted', text: `${job.jid} ` }), el('span', { id: 'job-title', text: job.title }), ' ', stateChip(jobState(job))),
      el('div', { class: 'toolbar' },
        el('span', { text: `owner ${job.owner}${ownJob ? ' (you)' : ''}` }), el('span', { text: `priority ${job.priority}` }),
        el('span', {}, 'spooled ', timeCell(job.spoolTime)),
        el('span', { class: 'progress', style: 'min-width:220px' }, progressBar(counts, job.numTasks, `Job ${job.jid} progress`), `${job.numDone}/${job.numTasks} done`),
        countsCell(counts)),
      actions);
  }

  async function loadJob() {
    try {
      const rows = await api('/api/v1/jobs', { query: { q: `jid=${jid}`, archived: 1, allowed: 1 } });
      job = rows[0] ?? null;
      if (!job) {
        header.replaceChildren(el('h1', { text: `Job ${jid}` }), el('p', { text: `There is no job ${jid} (or you may not see it).` }));
        root.querySelector('.split').hidden = true;
        return;
      }
      drawHeader();
      gateTaskButtons();
    } catch (error) { showMessage(error.message); }
  }

  // Each task's latest run: the latest invocation of each of its commands (a retry runs them all again), so its blade,
  // its first start and its last stop.
  async function loadRuns(tids) {
    const clause = tids ? `jid=${jid} and tid in [${tids.join(', ')}]` : `jid=${jid}`;
    try {
      const invocations = await apiAll('/api/v1/invocations', { q: clause, limit: 0, archived: 1 });
      const latest = new Map();   // "tid/cid" -> invocation
      for (const inv of invocations) {
        const key = `${inv.tid}/${inv.cid}`;
        if (!latest.has(key) || latest.get(key).iid < inv.iid) latest.set(key, inv);
      }
      const next = new Map();
      for (const inv of [...latest.values()].sort((a, b) => a.iid - b.iid)) {
        const run = next.get(inv.tid) ?? { blade: inv.blade, start: null, stop: null, running: false };
        if (inv.startTime && (run.start === null || inv.startTime < run.start)) run.start = inv.startTime;
        if (inv.stopTime && (run.stop === null || inv.stopTime > run.stop)) run.stop = inv.stopTime;
        run.running ||= inv.current;
        run.blade = inv.blade;
        next.set(inv.tid, run);
      }
      if (tids) { for (const t of tids) runs.delete(t); for (const [t, r] of next) runs.set(t, r); } else runs = next;
    } catch { /* elapsed times stay as they were */ }
  }

  async function loadTasks() {
    try {
      grid.setEmptyText('Loading…');
      const [rows] = await Promise.all([apiAll('/api/v1/tasks', { jid, limit: 0, archived: 1 }), loadRuns()]);
      tasks = new Map(rows.map(r => [r.tid, r]));
      grid.setEmptyText('This job has no tasks.');
      grid.setRows(flatten());
      if (selectedTid !== null && selectedTid !== undefined) selectTask(selectedTid, false);
    } catch (error) { grid.setEmptyText(''); showMessage(error.message); }
  }

  const refreshTasks = batcher(20, async tids => {
    if (!tids.length) return;
    try {
      const [rows] = await Promise.all([api('/api/v1/tasks', { query: { jid, q: `tid in [${tids.join(', ')}]`, limit: 0, archived: 1 } }), loadRuns(tids)]);
      const isNew = rows.some(r => !tasks.has(r.tid));
      for (const r of rows) tasks.set(r.tid, r);
      if (isNew) grid.setRows(flatten()); else grid.patch(rows.filter(r => grid.row(r.tid)));
      if (tids.includes(selectedTid)) drawTask(false);
    } catch { /* the next event or a reload shows it */ }
  });

  // The selected task's panel: facts, actions, why it waits, its commands and its log.
  let log = null;
  function selectTask(t, push) {
    if (!tasks.has(t)) { selectedTid = t; panel.replaceChildren(el('p', { class: 'muted', text: `Job ${jid} has no task ${t}.` })); return; }
    const changed = selectedTid !== t || !panel.firstChild;
    selectedTid = t;
    grid.setCurrent(t, { scroll: true });
    if (push) navigate(`/jobs/${jid}/tasks/${t}`, false, true);
    if (changed || !panel.querySelector('.log')) drawTask(true);
  }

  // The task's actions the engine would refuse on this job (its `allowed`) are disabled, the tooltip saying why; the
  // job may load after the panel is drawn, or change (a lock), so this runs again then.
  function gateTaskButtons() {
    for (const b of panel.querySelectorAll('.task-actions button[data-op]')) {
      const allowed = !job || jobAllows(job, b.dataset.op);
      b.disabled = app.auth.readOnly || !allowed;
      setTitle(b, app.auth.readOnly || allowed ? '' : notAllowedText(b.textContent, [job]));
    }
  }

  async function drawTask(fresh) {
    const r = tasks.get(selectedTid);
    if (!r) return;
    const run = runs.get(r.tid);
    const taskActions = [
      { op: 'retry', label: 'Retry' }, { op: 'skip', label: 'Skip' }, { op: 'resume', label: 'Resume' },
    ];
    const facts = el('dl', { class: 'facts' },
      el('dt', { text: 'Task' }), el('dd', { text: `${r.tid}${r.id ? ` (id ${r.id})` : ''}` }),
      el('dt', { text: 'Title' }), el('dd', { id: 'task-title', text: r.title }),
      el('dt', { text: 'State' }), el('dd', {}, stateChip(r.state), ' since ', timeCell(r.stateTime)),
      el('dt', { text: 'Blade' }), el('dd', { text: r.blade ?? run?.blade ?? '-' }),
      el('dt', { text: 'Elapsed' }), el('dd', { text: elapsedOf(r) }),
      el('dt', { text: 'Tries' }), el('dd', { text: String(r.retryCount) }));
    const buttons = el('div', { class: 'toolbar task-actions', role: 'toolbar', 'aria-label': 'Task actions' }, taskActions.map(a => el('button', {
      type: 'button', text: a.label, 'data-op': a.op, disabled: app.auth.readOnly,
      onclick: async () => {
        const others = job && job.owner !== app.auth.user;
        if (others && !confirm(`Job ${jid} belongs to ${job.owner}. ${a.label} its task ${r.tid}?`)) return;
        if (await operate(a.op, `jid=${jid} and tid=${r.tid}`, { others })) refreshTasks(r.tid);
      },
    })));
    const why = el('section', { 'aria-label': 'Why is this waiting?', class: 'why-box' });
    const commands = el('section', { 'aria-label': 'Commands' });
    if (fresh || !log || log.tid !== r.tid) {
      log?.stop();
      log = logFollower(jid, r.tid);
    }
    panel.replaceChildren(el('h2', { text: `Task ${r.tid}` }), facts, buttons, why, commands, log.element);
    gateTaskButtons();
    if (r.state === 'ready' || r.state === 'blocked') {
      why.append(el('h2', { text: 'Why is this waiting?' }));
      try {
        const reply = await api(`/api/v1/jobs/${jid}/tasks/${r.tid}/why`);
        why.append(reply.reasons.length
          ? el('ul', { class: 'why' }, reply.reasons.map(reason => el('li', { 'data-kind': reason.kind, text: reason.text })))
          : el('p', { class: 'muted', text: 'Nothing holds it: it goes to the next blade that asks for work.' }));
      } catch (error) { why.append(el('p', { text: error.message })); }
    }
    try {
      const rows = await api('/api/v1/commands', { query: { q: `jid=${jid} and tid=${r.tid}`, archived: 1, limit: 0 } });
      commands.append(el('h2', { text: 'Commands' }),
        rows.length ? el('ol', {}, rows.map(c => el('li', {},
          el('div', { class: 'argv', text: c.argv.join(' ') }),
          el('span', { class: 'muted', text: `${c.kind}${c.service ? `, service ${c.service}` : ''}, ${c.state}` }))))
          : el('p', { class: 'muted', text: 'No commands.' }));
    } catch (error) { commands.append(el('p', { text: error.message })); }
    if (r.hasLog || r.state !== 'blocked') log.poll();
  }

  const refreshJob = batcher(20, () => loadJob());
  drawHeader();
  loadJob();
  loadTasks();
  const ticker = setInterval(() => { if ([...tasks.values()].some(r => r.state === 'active')) grid.draw(); }, 1000);
  return {
    name: 'jobs', element: root,
    focus: () => grid.body.focus(),
    route(newJid, newTid) {
      if (newJid !== jid) return false;
      if (newTid !== null && newTid !== undefined && newTid !== selectedTid) selectTask(newTid, false);
      return true;
    },
    onEvent(type, data) {
      if (type === 'jobs' && data.jids?.includes(jid)) refreshJob();
      else if (type === 'tasks' && data.jid === jid) { refreshTasks(data.tids ?? []); refreshJob(); }
      else if (type === 'log' && data.jid === jid && data.tid === selectedTid) log?.poll();
      else if (type === 'reset') { loadJob(); loadTasks(); }
    },
    dispose() { clearInterval(ticker); grid.dispose(); log?.stop(); },
  };
}

/** A task's log, read from where it was last read to its end (Range: bytes=N-) each time the engine says it grew. */
function logFollower(jid, tid) {
  const pre = el('pre', { class: 'log', id: 'task-log', tabindex: 0, 'aria-label': `Log of task ${tid}`, 'aria-live': 'off' });
  const follow = el('input', { type: 'checkbox', checked: true, id: 'log-follow' });
  const status = el('span', { class: 'muted' });
  const element = el('section', { class: 'log-box', style: 'display:flex;flex-direction:column;flex:1;min-height:200px' },
    el('div', { class: 'toolbar' }, el('h2', { text: 'Log', style: 'margin:0' }), el('label', {}, follow, ' follow'),
      el('a', { href: `/api/v1/jobs/${jid}/tasks/${tid}/log`, download: `J${jid}-T${tid}.log`, text: 'download' }), status),
    pre);
  const decoder = new TextDecoder('utf-8');
  let offset = 0;
  let busy = false, again = false, stopped = false;
  async function poll() {
    if (stopped) return;
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        // From the last byte already read, so the range is never past the end (a 416 for every look that finds nothing new).
        const from = Math.max(0, offset - 1);
        const response = await api(`/api/v1/jobs/${jid}/tasks/${tid}/log`, { raw: true, headers: { Range: `bytes=${from}-`, Accept: '*/*' } });
        let chunk = new Uint8Array(await response.arrayBuffer());
        if (response.status === 206) chunk = chunk.subarray(offset - from);
        // A 200 is the whole log (the engine ignored the range): start again from its beginning.
        else { pre.textContent = ''; offset = 0; }
        offset += chunk.length;
        if (chunk.length) pre.append(document.createTextNode(shownLog(decoder.decode(chunk, { stream: true }))));
        status.textContent = `${offset.toLocaleString()} bytes`;
        if (follow.checked) pre.scrollTop = pre.scrollHeight;
      } while (again && !stopped);
    } catch (error) {
      if (error.status === 404) status.textContent = 'no log yet'; else status.textContent = error.message;
    } finally { busy = false; }
  }
  return { tid, element, poll, stop: () => { stopped = true; } };
}

// ---------------------------------------------------------------------------------------------------------------------
// Blades: what each reports, its slots, heartbeat age, nimby; a blade's current tasks.

function bladesView(name) {
  const panel = el('aside', { class: 'panel', 'aria-label': 'Blade' }, el('p', { class: 'muted', text: 'Select a blade to see what it runs.' }));
  let selected = name ?? null;
  const grid = new Grid({
    label: 'Blades', key: b => b.name,
    rowLabel: b => `Blade ${b.name}`,
    onOpen: b => { selected = b.name; history.replaceState(null, '', `/blades/${encodeURIComponent(b.name)}`); drawBlade(); },
    columns: [
      { label: 'Name', width: 'minmax(120px, 2fr)', sort: 'name', cell: b => b.name },
      { label: 'Profile', width: '110px', sort: 'profile', cell: b => b.profile ?? '-' },
      { label: 'Status', width: '90px', sort: 'status', cell: b => el('span', { class: `blade-status ${b.status}`, text: b.nimby ? `${b.status}, nimby` : b.status }) },
      { label: 'Slots', width: '70px', sort: 'slotsInUse', numeric: true, cell: b => `${b.slotsInUse}/${b.slots}` },
      { label: 'Load', width: '60px', sort: b => b.figures?.load, numeric: true, cell: b => b.figures ? b.figures.load.toFixed(2) : '-' },
      { label: 'Memory free', width: '120px', sort: b => b.figures?.freeMemoryGB, numeric: true,
        cell: b => b.figures ? `${b.figures.freeMemoryGB.toFixed(1)} / ${b.figures.memoryGB.toFixed(1)} GB` : '-' },
      { label: 'Heartbeat', width: '90px', sort: 'lastContact', numeric: true, cell: b => el('span', { 'data-heartbeat': b.lastContact, text: `${duration(Date.now() - b.lastContact)} ago` }) },
      { label: 'Nimby', width: '90px', cell: b => el('button', { type: 'button', 'aria-pressed': String(b.nimby), disabled: !app.auth.mayChangeFarm,
          'aria-label': `${b.nimby ? 'Unnimby' : 'Nimby'} blade ${b.name}`, text: b.nimby ? 'Unnimby' : 'Nimby',
          title: app.auth.mayChangeFarm ? '' : 'Nimby takes a wrangler or an administrator (crews.config)',
          onclick: e => { e.stopPropagation(); setNimby(b, !b.nimby); } }) },
    ],
  });
  grid.sortBy(grid.columns[0]);
  const root = el('section', { class: 'view blades', style: 'display:flex;flex-direction:column;flex:1;min-height:0' },
    el('h1', { text: 'Blades' }), el('div', { class: 'split' }, grid.element, panel));

  async function setNimby(blade, on) {
    try {
      await api(`/api/v1/blades/${encodeURIComponent(blade.name)}/${on ? 'nimby' : 'unnimby'}`, { method: 'POST' });
      showMessage(`${blade.name}: ${on ? 'nimby (takes no new work)' : 'takes work again'}`, true);
      load();
    } catch (error) { showMessage(error.message); }
  }

  async function load() {
    try {
      grid.setEmptyText('Loading…');
      const rows = await apiAll('/api/v1/blades', { limit: 0 });
      grid.setEmptyText('No blades have registered.');
      grid.setRows(rows);
      if (selected) drawBlade();
    } catch (error) { showMessage(error.message); }
  }

  async function drawBlade() {
    const blade = grid.row(selected);
    if (!blade) { panel.replaceChildren(el('p', { text: `No blade ${selected}.` })); return; }
    grid.setCurrent(blade.name);
    const f = blade.figures;
    const facts = el('dl', { class: 'facts' },
      el('dt', { text: 'Host' }), el('dd', { text: blade.host }),
      el('dt', { text: 'Version' }), el('dd', { text: blade.version }),
      el('dt', { text: 'Registered' }), el('dd', {}, timeCell(blade.registeredTime)),
      el('dt', { text: 'Machine' }), el('dd', { text: f ? `${f.cores} cores, ${f.memoryGB.toFixed(1)} GB, ${f.platform}` : '-' }),
      el('dt', { text: 'Free disk' }), el('dd', { text: f ? `${f.freeDiskGB.toFixed(1)} GB` : '-' }));
    const running = el('section', { 'aria-label': 'Current tasks' }, el('h2', { text: 'Current tasks' }));
    panel.replaceChildren(el('h2', { text: blade.name }), facts, running);
    try {
      const quoted = JSON.stringify(blade.name);
      const rows = await api('/api/v1/invocations', { query: { q: `blade=${quoted} and current`, limit: 200 } });
      running.append(rows.length
        ? el('ul', {}, rows.map(i => el('li', {}, link(`/jobs/${i.jid}/tasks/${i.tid}`, `job ${i.jid} task ${i.tid}`),
            el('span', { class: 'muted', text: ` since ` }), timeCell(i.startTime ?? i.dispatchTime))))
        : el('p', { class: 'muted', text: 'Nothing running.' }));
    } catch (error) { running.append(el('p', { text: error.message })); }
  }

  load();
  const refresh = batcher(500, () => load());
  const ticker = setInterval(() => {
    for (const span of root.querySelectorAll('[data-heartbeat]')) span.textContent = `${duration(Date.now() - Number(span.dataset.heartbeat))} ago`;
  }, 1000);
  return {
    name: 'blades', element: root,
    focus: () => grid.body.focus(),
    onEvent(type) { if (type === 'blades' || type === 'reset') refresh(); },
    dispose() { clearInterval(ticker); grid.dispose(); },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Admin: pause or resume dispatching (the upgrade page's first step), engine status, config reload.

function adminView() {
  const facts = el('table', { class: 'plain', 'aria-label': 'Engine status' });
  const pause = el('button', { type: 'button', id: 'dispatch-toggle', class: 'primary', onclick: () => toggle() });
  const reload = el('button', { type: 'button', id: 'config-reload', text: 'Reload config files', onclick: () => reloadConfig() });
  const result = el('div', { id: 'reload-result', role: 'status' });
  const root = el('section', { class: 'view admin' },
    el('h1', { text: 'Admin' }),
    el('h2', { text: 'Dispatching' }),
    el('p', { id: 'dispatch-state' }),
    el('div', { class: 'toolbar' }, pause),
    el('h2', { text: 'Engine' }), facts,
    el('h2', { text: 'Site config' }),
    el('p', { class: 'muted', text: 'Reads the site config files again now (as tq reloadconfig does): users.config, crews.config, limits.config and blade.config apply at once; the reply names tractor.config or db.config when they changed since the engine started, which takes a restart. Administrators only.' }),
    el('div', { class: 'toolbar' }, reload), result);
  let status = null;

  function draw() {
    if (!status) return;
    setPaused(status.dispatchPaused);
    root.querySelector('#dispatch-state').textContent = status.dispatchPaused
      ? 'Paused: blades get no new work; what runs goes on.' : 'Running: blades get work as it becomes ready.';
    pause.textContent = status.dispatchPaused ? 'Resume dispatching' : 'Pause dispatching';
    pause.disabled = !app.auth.mayChangeFarm;
    reload.disabled = !app.auth.administrator;
    const rows = [
      ['Version', status.version], ['Uptime', duration(Date.now() - status.startTime)], ['Started', timeCell(status.startTime)],
      ['Schema version', status.schemaVersion ?? '-'], ['Job database', status.store ?? '-'], ['Last job ID', status.lastJid],
      ['Jobs in memory', status.jobs], ['Ready tasks', status.readyTasks], ['Active tasks', status.activeTasks], ['Blades', status.blades],
      ['Host', `${status.host} (pid ${status.pid}, port ${status.port})`], ['Data directory', status.dataDirectory],
      ['Memory', `${bytes(status.workingSetBytes)} resident, ${bytes(status.heapBytes)} heap`],
      ['GC', `${status.collections.join(' / ')} collections, ${status.gcPauseMs} ms paused`],
    ];
    facts.replaceChildren(...rows.map(([k, v]) => el('tr', {}, el('th', { scope: 'row', text: k }), el('td', {}, v instanceof Node ? v : String(v)))));
  }

  async function load() {
    try { status = await api('/api/v1/status'); draw(); } catch (error) { showMessage(error.message); }
  }

  async function toggle() {
    const paused = !status?.dispatchPaused;
    try {
      status = await api(`/api/v1/dispatch/${paused ? 'pause' : 'resume'}`, { method: 'POST' });
      draw();
      showMessage(paused ? 'Dispatching paused.' : 'Dispatching resumed.', true);
    } catch (error) { showMessage(error.message); }
  }

  async function reloadConfig() {
    try {
      const reply = await api('/api/v1/config/reload', { method: 'POST' });
      result.replaceChildren(
        el('p', { text: `Read: ${reply.read.join(', ') || 'none'}. Applied now: ${reply.applied.join(', ') || 'none'}.` }),
        reply.restartNeeded.length
          ? el('ul', {}, reply.restartNeeded.map(r => el('li', { text: `${r.file}: ${r.reason}` })))
          : el('p', { class: 'muted', text: 'Nothing needs a restart.' }));
      showMessage('Config files read again.', true);
    } catch (error) { result.replaceChildren(); showMessage(error.message); }
  }

  load();
  const ticker = setInterval(() => { if (status) draw(); }, 5000);
  return {
    name: 'admin', element: root,
    focus: () => pause.focus(),
    onEvent(type) { if (type === 'engine' || type === 'reset') load(); },
    dispose() { clearInterval(ticker); },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Signing in: a users.config account (or the site's password validator), or a one-time link `furrow up` prints.

function signinView() {
  const next = new URLSearchParams(location.search).get('next');
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
  const user = el('input', { type: 'text', id: 'signin-user', name: 'username', autocomplete: 'username', required: true });
  const password = el('input', { type: 'password', id: 'signin-password', name: 'password', autocomplete: 'current-password', required: true });
  const error = el('p', { class: 'signin-error', role: 'alert' });
  const form = el('form', { class: 'signin', 'aria-labelledby': 'signin-title', onsubmit: e => { e.preventDefault(); signIn({ user: user.value, password: password.value, cookie: true }); } },
    el('h1', { id: 'signin-title', text: 'Sign in to Furrow' }),
    el('label', { for: 'signin-user', text: 'User' }), user,
    el('label', { for: 'signin-password', text: 'Password' }), password,
    el('button', { type: 'submit', class: 'primary', text: 'Sign in' }), error,
    el('p', { class: 'muted' }, 'On the engine\'s host, ', el('code', { text: 'furrow dashboard' }), ' prints a link that signs you in without a password.'));

  async function signIn(body) {
    error.textContent = '';
    try {
      await api('/api/v1/auth/login', { method: 'POST', body });
      await start(target);
    } catch (e) { error.textContent = e.message; }
  }

  const code = new URLSearchParams(location.hash.slice(1)).get('code');
  if (code) {
    history.replaceState(null, '', '/signin');   // the code is used once; keep it out of history
    signIn({ code, cookie: true });
  }
  return { name: 'signin', element: form, focus: () => user.focus() };
}

// ---------------------------------------------------------------------------------------------------------------------
// Routing: every view has its own address, which works on reload.

function route() {
  const path = location.pathname;
  let m;
  if (path === '/signin') return ['signin', () => signinView()];
  if (path === '/' || path === '/jobs') return ['jobs', () => jobsView()];
  if ((m = /^\/jobs\/(\d+)(?:\/tasks\/(\d+))?$/.exec(path))) {
    const jid = Number(m[1]), tid = m[2] === undefined ? null : Number(m[2]);
    return ['job', () => jobView(jid, tid), view => view.route?.(jid, tid)];
  }
  if ((m = /^\/blades(?:\/([^/]+))?$/.exec(path))) return ['blades', () => bladesView(m[1] ? decodeURIComponent(m[1]) : null)];
  if (path === '/admin') return ['admin', () => adminView()];
  return ['missing', () => ({ name: 'missing', element: el('p', { text: `Nothing at ${path}.` }) })];
}

function render(focus = true) {
  const [, make, reuse] = route();
  if (app.view && reuse && reuse(app.view)) return;
  app.view?.dispose?.();
  const main = document.getElementById('main');
  app.view = make();
  clear(main).append(app.view.element);
  for (const a of document.querySelectorAll('[data-nav]')) {
    const current = location.pathname === '/' ? 'jobs' : location.pathname.split('/')[1];
    if (a.dataset.nav === current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  document.title = `Furrow: ${app.view.name}`;
  if (focus) app.view.focus?.();
}

function navigate(path, replace = false, quiet = false) {
  if (path === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  if (!quiet) render();
}

document.addEventListener('click', e => {
  const a = e.target.closest('a[data-link]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', () => render());

async function start(target) {
  let auth;
  try { auth = await api('/api/v1/auth'); } catch (error) {
    if (error.status !== 401) { showMessage(error.message); return; }
    // The session cookie this browser holds has ended (expired, logged out elsewhere, password changed): sign in again.
    auth = { user: null, authenticationRequired: true };
  }
  app.auth = auth;
  if (!auth.user && auth.authenticationRequired) {
    if (location.pathname !== '/signin') history.replaceState(null, '', `/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
    render();
    return;
  }
  const who = document.getElementById('user');
  who.textContent = auth.user ? `${auth.user}${auth.administrator ? ' (admin)' : auth.readOnly ? ' (read-only)' : ''}` : 'anonymous';
  who.title = who.textContent;   // whole here when the header's line cuts a long name
  document.getElementById('signout').hidden = !auth.user;
  if (target) history.replaceState(null, '', target);
  else if (location.pathname === '/signin') history.replaceState(null, '', '/');
  refreshStatus();
  summary.init();
  connectEvents();
  render();
}

document.getElementById('signout').addEventListener('click', async () => {
  try { await api('/api/v1/auth/logout', { method: 'POST' }); } catch { /* signed out either way */ }
  app.events?.close(); app.events = null; app.auth = null; app.csrf = null;
  location.assign('/signin');
});

start();
