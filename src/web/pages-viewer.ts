/**
 * The viewer: server-side rendering (src/dicom/render) to PNG, re-requested with ww/wc when
 * the user drags (debounced), presets, frame and image scrolling (wheel, keys, buttons),
 * zoom. Plain JS in the page; no build step.
 */
import type { Route, WebContext } from './server';
import { html, HttpError, page, raw, sendHtml } from './http-util';
import { instancesOfSeries, seriesInfo } from './local-db';

const SCRIPT = `
const S = JSON.parse(document.getElementById('data').textContent);
const img = document.getElementById('image'), info = document.getElementById('info');
let idx = Math.min(S.start, S.images.length - 1), frame = 0, frames = 1, wc = null, ww = null, zoom = 1, timer = null, grey = true;
function src() {
  const q = new URLSearchParams({ frame: String(frame) });
  if (wc !== null && grey) { q.set('wc', String(Math.round(wc))); q.set('ww', String(Math.max(1, Math.round(ww)))); }
  return '/render/' + encodeURIComponent(S.images[idx].sop) + '.png?' + q;
}
function show() {
  img.src = src();
  info.textContent = 'image ' + (idx + 1) + '/' + S.images.length + ', frame ' + (frame + 1) + '/' + frames +
    (grey && wc !== null ? ', WC ' + Math.round(wc) + ' WW ' + Math.round(ww) : '');
  img.style.transform = 'scale(' + zoom + ')';
}
function later() { clearTimeout(timer); timer = setTimeout(show, 120); }
async function load() {
  const r = await fetch('/api/image/' + encodeURIComponent(S.images[idx].sop));
  if (r.ok) { const j = await r.json(); frames = j.frames; grey = j.grey;
    if (wc === null && j.window) { wc = j.window.center; ww = j.window.width; }
    const sel = document.getElementById('presets'); sel.querySelectorAll('option.img').forEach((o) => o.remove());
    j.windows.forEach((w, i) => { const o = document.createElement('option'); o.className = 'img'; o.value = w.center + '/' + w.width;
      o.textContent = (w.explanation || 'image ' + (i + 1)) + ' ' + w.center + '/' + w.width; sel.prepend(o); }); }
  frame = Math.min(frame, frames - 1); show();
}
function step(d) {
  if (frames > 1 && frame + d >= 0 && frame + d < frames) { frame += d; show(); return; }
  const n = idx + d; if (n >= 0 && n < S.images.length) { idx = n; frame = d < 0 ? 1e9 : 0; load(); }
}
let drag = null;
img.addEventListener('mousedown', (e) => { e.preventDefault(); drag = { x: e.clientX, y: e.clientY, wc: wc ?? 128, ww: ww ?? 256 }; });
window.addEventListener('mouseup', () => { drag = null; });
window.addEventListener('mousemove', (e) => { if (!drag || !grey) return;
  const k = Math.max(1, drag.ww / 256); ww = Math.max(1, drag.ww + (e.clientX - drag.x) * k); wc = drag.wc + (e.clientY - drag.y) * k; later(); });
img.addEventListener('wheel', (e) => { e.preventDefault(); step(e.deltaY > 0 ? 1 : -1); }, { passive: false });
window.addEventListener('keydown', (e) => { if (e.key === 'ArrowDown' || e.key === 'ArrowRight') step(1); if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') step(-1); });
document.getElementById('prev').onclick = () => step(-1);
document.getElementById('next').onclick = () => step(1);
document.getElementById('zin').onclick = () => { zoom = Math.min(8, zoom * 1.25); show(); };
document.getElementById('zout').onclick = () => { zoom = Math.max(0.125, zoom / 1.25); show(); };
document.getElementById('presets').onchange = (e) => { const v = e.target.value; if (v === 'auto') { wc = ww = null; } else { const [c, w] = v.split('/').map(Number); wc = c; ww = w; } show(); };
load();
`;

const PRESETS: [string, number, number][] = [['CT lung', -600, 1500], ['CT abdomen', 40, 400], ['CT brain', 40, 80], ['CT bone', 300, 1500]];

function viewer(c: WebContext): void {
  const uid = c.params[0];
  const s = seriesInfo(c.deps.index, uid);
  if (!s) throw new HttpError(404, `no series ${uid}`);
  const images = instancesOfSeries(c.deps.index, uid).map((r) => ({ sop: r.sop_uid, frames: r.number_of_frames ?? 1 }));
  const start = Math.max(0, Number(c.url.searchParams.get('i') ?? 0) | 0);
  const data = JSON.stringify({ images, start }).replace(/</g, '\\u003c');
  const body = html`<p><a href="/study/${encodeURIComponent(String(s.study_uid))}">« study</a> — series ${s.series_number ?? ''} ${s.modality ?? ''} ${s.series_description ?? ''}</p>
<p><button id="prev">◀</button> <button id="next">▶</button> <button id="zin">+</button> <button id="zout">−</button>
<select id="presets"><option value="auto">window: image/auto</option>${PRESETS.map(([n, wc, ww]) => html`<option value="${wc}/${ww}">${n} ${wc}/${ww}</option>`)}</select>
<span id="info" class="muted"></span></p>
<div style="overflow:auto;background:#000;height:75vh;display:flex;align-items:center;justify-content:center">
<img id="image" alt="image" draggable="false" style="transform-origin:center;image-rendering:pixelated;cursor:crosshair;max-width:100%;max-height:100%"></div>
<p class="muted">Drag on the image: left/right = width, up/down = level. Wheel or arrow keys: frames and images.</p>
<script type="application/json" id="data">${raw(data)}</script><script>${raw(SCRIPT)}</script>`;
  sendHtml(c.res, 200, page('Viewer', body, c.principal));
}

export const viewerRoutes: Route[] = [
  { method: 'GET', path: /^\/viewer\/([0-9.]{1,64})$/, need: 'viewer', kind: 'html', handler: viewer },
];
