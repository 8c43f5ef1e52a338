// hibernate-redundancy dashboard: plain JavaScript and <canvas>, no library, no build step, no network but the app.
(function () {
  'use strict';
  const WINDOW_MS = 5 * 60 * 1000;
  const COLORS = { primary: '#2563eb', secondary: '#ea7a0c', down: '#dc2626', lag: '#7c3aed', pending: '#0d9488',
                   orders: '#0f766e', grid: '#e5e7eb', text: '#6b7280' };
  const samples = [];
  let lastT = 0;
  let failures = 0;

  const $ = (id) => document.getElementById(id);
  const text = (id, v) => { const e = $(id); if (e) e.textContent = v; };
  const fmtMs = (v) => v == null || isNaN(v) ? '–' : (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)) + ' ms';
  const fmtTime = (iso) => iso ? new Date(iso).toLocaleTimeString() : '–';
  const fmtDuration = (ms) => {
    if (ms == null) return '–';
    const s = Math.floor(ms / 1000), m = Math.floor(s / 60), h = Math.floor(m / 60);
    return h ? h + 'h ' + (m % 60) + 'm' : m ? m + 'm ' + (s % 60) + 's' : s + 's';
  };

  async function getJson(path) {
    const r = await fetch(path, { cache: 'no-store' });
    return r.json();
  }

  function showStatus(s) {
    const active = s.activeDatabase || 'none';
    const box = $('serving');
    box.className = 'serving ' + active;
    text('active-db', active);
    document.title = '[' + active + '] hibernate-redundancy dashboard';
    text('overall', s.status + (s.redundancy ? '' : ' (no secondary)'));
    ['primary', 'secondary'].forEach((n) => {
      const node = s[n];
      const state = $(n + '-state');
      if (!node) {
        state.textContent = 'not configured'; state.className = 'pill';
        return;
      }
      state.textContent = (node.connected ? 'up' : 'down') + (active === n ? ' · serving' : '');
      state.className = 'pill ' + (node.connected ? 'up' : 'down') + (active === n ? ' active' : '');
      text(n + '-latency', node.connected ? fmtMs(node.latencyMs) : '–');
      text(n + '-failures', node.consecutiveFailures);
      text(n + '-check', fmtTime(node.lastCheck));
      text(n + '-url', node.url || '');
      text(n + '-error', node.connected ? '' : (node.lastError || ''));
    });
    const m = s.mirror || {};
    text('mirror-mode', m.mode || '–');
    text('mirror-pending', m.pending == null ? '–' : m.pending);
    text('mirror-lag', fmtMs(m.lagMs));
    text('mirror-rate', m.appliedPerSecond == null ? '–' : Math.round(m.appliedPerSecond));
    text('mirror-conflicts', (m.conflicts == null ? '–' : m.conflicts) + ' · ' + (m.parked == null ? '–' : m.parked));
    text('sync-status', s.syncStatus + (s.lastSync ? ' · ' + fmtTime(s.lastSync) : ''));
    text('failover-count', s.failoverCount);
    text('last-failover', fmtTime(s.lastFailover));
    text('uptime', fmtDuration(s.uptimeSinceFailoverMs));
  }

  function showTimeline(t) {
    for (const sample of t.samples) {
      if (sample.t > lastT) { samples.push(sample); lastT = sample.t; }
    }
    const cutoff = Date.now() - WINDOW_MS - 5000;
    while (samples.length && samples[0].t < cutoff) samples.shift();
    text('orders-total', t.ordersTotal);
    const body = $('history');
    if (t.events.length) {
      body.innerHTML = '';
      t.events.slice().reverse().forEach((e) => {
        const tr = document.createElement('tr');
        [fmtTime(e.time), e.type, e.detail].forEach((v, i) => {
          const td = document.createElement('td');
          td.textContent = v;
          if (i === 1) td.className = 'ev-' + e.type;
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }
    drawAll();
  }

  // ---- charts --------------------------------------------------------------------------------------------
  function setup(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.getAttribute('height') * 1;
    if (canvas.width !== Math.round(w * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
      canvas.style.height = h + 'px';
    }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, h);
    return { g, w, h, left: 44, right: w - 8, top: 6, bottom: h - 18 };
  }

  function xOf(c, t, now) { return c.left + (c.right - c.left) * (1 - (now - t) / WINDOW_MS); }

  function axes(c, now, max, unit, noY) {
    const g = c.g;
    g.strokeStyle = COLORS.grid; g.fillStyle = COLORS.text; g.font = '10px system-ui, sans-serif'; g.lineWidth = 1;
    for (let i = 0; !noY && i <= 4; i++) {
      const y = c.bottom - (c.bottom - c.top) * i / 4;
      g.beginPath(); g.moveTo(c.left, y); g.lineTo(c.right, y); g.stroke();
      const v = max * i / 4;
      g.fillText((v >= 100 ? Math.round(v) : +v.toFixed(1)) + (unit || ''), 2, y + 3);
    }
    for (let m = 0; m <= 5; m++) {
      const x = xOf(c, now - m * 60000, now);
      g.beginPath(); g.moveTo(x, c.top); g.lineTo(x, c.bottom); g.stroke();
      g.fillText(m === 0 ? 'now' : '-' + m + 'm', x - 10, c.h - 4);
    }
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const k of [1, 2, 2.5, 5, 10]) if (v <= k * p) return k * p;
    return 10 * p;
  }

  function line(c, now, max, pick, color, widthPx) {
    const g = c.g;
    g.strokeStyle = color; g.lineWidth = widthPx || 1.6; g.beginPath();
    let open = false;
    for (const s of samples) {
      const v = pick(s);
      if (v == null || isNaN(v)) { open = false; continue; }
      const x = xOf(c, s.t, now), y = c.bottom - (c.bottom - c.top) * Math.min(v, max) / max;
      if (open) g.lineTo(x, y); else { g.moveTo(x, y); open = true; }
    }
    g.stroke();
  }

  function downMarks(c, now, node, color, yFrac) {
    const g = c.g;
    g.fillStyle = color;
    for (const s of samples) {
      const n = s[node];
      if (n && !n.up) {
        const x = xOf(c, s.t, now);
        g.fillRect(x - 1.5, c.top + (c.bottom - c.top) * yFrac, 3, 6);
      }
    }
  }

  function drawAll() {
    const now = samples.length ? Math.max(samples[samples.length - 1].t, Date.now() - 1500) : Date.now();
    // latency
    let c = setup($('chart-latency'));
    let max = niceMax(Math.max(1, ...samples.flatMap((s) => [s.primary && s.primary.up ? s.primary.latencyMs : 0,
      s.secondary && s.secondary.up ? s.secondary.latencyMs : 0])));
    axes(c, now, max, '');
    line(c, now, max, (s) => s.primary && s.primary.up ? s.primary.latencyMs : null, COLORS.primary);
    line(c, now, max, (s) => s.secondary && s.secondary.up ? s.secondary.latencyMs : null, COLORS.secondary);
    downMarks(c, now, 'primary', COLORS.down, 0.0);
    downMarks(c, now, 'secondary', COLORS.down, 0.08);
    // serving band + health strips
    c = setup($('chart-serving'));
    axes(c, now, 1, '', true);
    const rows = [['serving', 0.05, 0.40], ['primary', 0.50, 0.70], ['secondary', 0.75, 0.95]];
    const g = c.g;
    g.fillStyle = COLORS.text; g.font = '10px system-ui, sans-serif';
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i];
      const x0 = xOf(c, s.t - 1000, now), x1 = xOf(c, s.t, now);
      if (x1 < c.left) continue;
      const w = Math.max(1, x1 - Math.max(x0, c.left)) + 0.6;
      for (const [row, a, b] of rows) {
        let color;
        if (row === 'serving') color = s.active === 'primary' ? COLORS.primary : s.active === 'secondary' ? COLORS.secondary : COLORS.down;
        else color = !s[row] ? '#d1d5db' : s[row].up ? '#86efac' : COLORS.down;
        g.fillStyle = color;
        g.fillRect(Math.max(x0, c.left), c.top + (c.bottom - c.top) * a, w, (c.bottom - c.top) * (b - a));
      }
    }
    g.fillStyle = COLORS.text;
    g.fillText('serving', 2, c.top + (c.bottom - c.top) * 0.25);
    g.fillText('primary', 2, c.top + (c.bottom - c.top) * 0.62);
    g.fillText('second.', 2, c.top + (c.bottom - c.top) * 0.88);
    // mirror
    c = setup($('chart-mirror'));
    max = niceMax(Math.max(1, ...samples.map((s) => Math.max(s.lagMs || 0, s.pending || 0))));
    axes(c, now, max, '');
    line(c, now, max, (s) => s.lagMs, COLORS.lag);
    line(c, now, max, (s) => s.pending, COLORS.pending);
    // orders
    c = setup($('chart-orders'));
    max = niceMax(Math.max(1, ...samples.map((s) => s.orders || 0)));
    axes(c, now, max, '');
    line(c, now, max, (s) => s.orders, COLORS.orders, 2);
  }

  // ---- polling -------------------------------------------------------------------------------------------
  async function poll() {
    try {
      const [status, timeline] = await Promise.all([getJson('api/system/db-health'),
        getJson('api/system/timeline?since=' + lastT)]);
      showStatus(status);
      showTimeline(timeline);
      failures = 0;
      text('conn', '');
    } catch (e) {
      failures++;
      text('conn', ' · app unreachable (' + failures + ')');
    } finally {
      setTimeout(poll, 1000);
    }
  }

  // ---- admin ---------------------------------------------------------------------------------------------
  function token() {
    let t = sessionStorage.getItem('adminToken');
    if (!t) {
      t = window.prompt('Admin token (ADMIN_TOKEN):');
      if (t) sessionStorage.setItem('adminToken', t);
    }
    return t;
  }

  async function act(action) {
    const t = token();
    if (!t) return;
    text('admin-result', action + '…');
    try {
      const r = await fetch('api/system/' + action, { method: 'POST', headers: { Authorization: 'Bearer ' + t } });
      const body = await r.text();
      if (r.status === 401) sessionStorage.removeItem('adminToken');
      let shown = body;
      try { shown = JSON.stringify(JSON.parse(body), null, 1); } catch (ignored) { /* not JSON */ }
      text('admin-result', r.status + ' ' + action + '\n' + shown);
    } catch (e) {
      text('admin-result', action + ' failed: ' + e);
    }
  }

  document.querySelectorAll('button[data-action]').forEach((b) => b.addEventListener('click', () => act(b.dataset.action)));
  $('btn-forget').addEventListener('click', () => { sessionStorage.removeItem('adminToken'); text('admin-result', 'token forgotten'); });
  getJson('api/system/admin').then((a) => {
    if (!a.enabled) {
      document.querySelectorAll('button[data-action]').forEach((b) => { b.disabled = true; });
      text('admin-note', 'Admin actions are disabled: start the app with ADMIN_TOKEN set.');
    }
  }).catch(() => {});
  window.addEventListener('resize', drawAll);
  poll();
})();
