// The city's areas (city or suburb decides a replacement's 30 or 60 minutes) and the named
// zones (depots, restricted areas) on the map and in a list, and a year's working-day calendar.
// The administrator draws a zone by clicking its corners on the map (converted back to WGS-84 by
// `pick`), removes a city area, and toggles days of the calendar.
import { h, show, table } from '../../dom.js';
import { register } from '../../i18n.js';
import { createMap } from '../../map.js';

register({
  zh: {
    'zones.title': '区域与日历', 'zones.city': '市区范围', 'zones.named': '命名区域', 'zones.name': '名称', 'zones.kind': '类型', 'zones.points': '顶点',
    'zones.kind.depot': '车场', 'zones.kind.restricted': '禁入区', 'zones.kind.other': '其他', 'zones.kind.city': '市区',
    'zones.draw': '画新区域', 'zones.redraw': '重画', 'zones.remove': '移除', 'zones.drawHint': '在地图上依次点击区域的顶点（至少 3 个），然后保存。',
    'zones.undo': '撤销一点', 'zones.saved': '已保存', 'zones.needPoints': '至少需要 3 个顶点', 'zones.needName': '请填写名称',
    'zones.calendar': '工作日历', 'zones.year': '年份', 'zones.announced': '依据：{source}', 'zones.notAnnounced': '未设置',
    'zones.source': '依据（国务院办公厅通知）', 'zones.saveCalendar': '保存日历', 'zones.legendOff': '周末休息', 'zones.legendHoliday': '节假日',
    'zones.legendWorked': '调休上班', 'zones.calendarHint': '点击工作日设为节假日，点击周末设为调休上班；再点一次恢复。',
    'zones.weekdays': '一二三四五六日', 'zones.month': '{month} 月', 'zones.lastArea': '市区至少保留一个区域',
  },
  en: {
    'zones.title': 'Zones & calendar', 'zones.city': 'City areas', 'zones.named': 'Named zones', 'zones.name': 'Name', 'zones.kind': 'Kind', 'zones.points': 'Corners',
    'zones.kind.depot': 'Depot', 'zones.kind.restricted': 'Restricted', 'zones.kind.other': 'Other', 'zones.kind.city': 'City area',
    'zones.draw': 'Draw a zone', 'zones.redraw': 'Redraw', 'zones.remove': 'Remove', 'zones.drawHint': 'Click the corners on the map (3 or more), then save.',
    'zones.undo': 'Undo a corner', 'zones.saved': 'Saved', 'zones.needPoints': 'A zone needs 3 corners or more', 'zones.needName': 'Give it a name',
    'zones.calendar': 'Working-day calendar', 'zones.year': 'Year', 'zones.announced': 'Per: {source}', 'zones.notAnnounced': 'Not set',
    'zones.source': 'Announcement it follows', 'zones.saveCalendar': 'Save calendar', 'zones.legendOff': 'Weekend', 'zones.legendHoliday': 'Holiday',
    'zones.legendWorked': 'Weekend worked', 'zones.calendarHint': 'Click a weekday to make it a holiday, a weekend day to make it worked; again to undo.',
    'zones.weekdays': 'MTWTFSS', 'zones.month': 'Month {month}', 'zones.lastArea': 'The city keeps one area at least',
  },
});

const colours = { city: '#2b6cb0', depot: '#2f855a', restricted: '#c53030', other: '#805ad5' };

export async function render(container, ctx) {
  const { api, t, toast, explain } = ctx;
  const admin = ctx.user.role === 'administrator';
  const mapBox = h('div', { class: 'map', id: 'zones-map' });
  const side = h('div', { class: 'side' });
  const calendarBox = h('div', { class: 'card', id: 'calendar' });
  container.append(h('h2', {}, t('zones.title')), h('div', { class: 'zones-layout' }, mapBox, side), calendarBox);

  const view = createMap(mapBox, ctx, {});
  const shapes = L.layerGroup().addTo(view.map);
  let city = [];
  let named = [];
  let drawing = null; // { points: [[lat, lon]], line, save(points, name, kind) }

  function polygon(points, kind, label) {
    return L.polygon(points.map(p => view.toScreen(p.latitude, p.longitude)), { color: colours[kind], weight: 2, fillOpacity: 0.12, dashArray: kind === 'city' ? '6 4' : null })
      .bindTooltip(h('span', {}, label));
  }

  async function load() {
    [city, named] = await Promise.all([api.get('/api/v1/zones').then(z => z.city), api.get('/api/v1/named-zones')]);
    shapes.clearLayers();
    for (const area of city) polygon(area.points, 'city', area.name).addTo(shapes);
    for (const zone of named) polygon(zone.points, zone.kind, `${zone.name} · ${t(`zones.kind.${zone.kind}`)}`).addTo(shapes);
    drawSide();
  }

  function drawSide() {
    const actions = (redraw, remove) => admin ? h('span', { class: 'actions' },
      h('button', { type: 'button', class: 'link', onclick: redraw }, t('zones.redraw')),
      remove ? h('button', { type: 'button', class: 'link', onclick: remove }, t('zones.remove')) : null) : null;
    const focus = (points) => view.map.fitBounds(L.latLngBounds(points.map(p => view.toScreen(p.latitude, p.longitude))), { maxZoom: 15 });
    show(side,
      admin ? drawPanel() : null,
      h('h3', {}, t('zones.city')),
      table([
        [t('zones.name'), a => h('button', { type: 'button', class: 'link', onclick: () => focus(a.points) }, a.name)],
        [t('zones.points'), a => String(a.points.length)],
        ...(admin ? [['', (a) => actions(() => startDrawing({ name: a.name, kind: 'city' }, points => saveCity(a, points)), () => removeCity(a))]] : []),
      ], city, { rowAttributes: a => ({ 'data-area': a.name }) }),
      h('h3', {}, t('zones.named')),
      table([
        [t('zones.name'), z => h('button', { type: 'button', class: 'link', onclick: () => focus(z.points) }, z.name)],
        [t('zones.kind'), z => h('span', { class: 'badge' }, t(`zones.kind.${z.kind}`))],
        [t('zones.points'), z => String(z.points.length)],
        ...(admin ? [['', (z) => actions(() => startDrawing(z, (points, name, kind) => saveNamed(z.id, points, name, kind)))]] : []),
      ], named, { empty: t('empty'), rowAttributes: z => ({ 'data-zone': z.id }) }));
  }

  // The drawing panel: a name, a kind (a named zone's, or a city area), the corners clicked so far.
  const name = h('input', { id: 'zone-name', maxlength: 200 });
  const kind = h('select', { id: 'zone-kind' }, ['depot', 'restricted', 'other', 'city'].map(k => h('option', { value: k }, t(`zones.kind.${k}`))));
  const drawError = h('p', { class: 'form-error', role: 'alert' });
  const corners = h('span', { id: 'zone-corners', class: 'detail' });
  function drawPanel() {
    return h('div', { class: 'card', id: 'zone-draw' },
      drawing
        ? [h('p', { class: 'hint' }, t('zones.drawHint')), h('div', { class: 'row' }, h('label', {}, t('zones.name'), name), h('label', {}, t('zones.kind'), kind)),
          corners, drawError,
          h('div', { class: 'row' },
            h('button', { type: 'button', class: 'primary', id: 'zone-save', onclick: finishDrawing }, t('save')),
            h('button', { type: 'button', onclick: () => { drawing.points.pop(); preview(); } }, t('zones.undo')),
            h('button', { type: 'button', onclick: stopDrawing }, t('cancel')))]
        : h('button', { type: 'button', class: 'primary', id: 'zone-new', onclick: () => startDrawing(null, null) }, t('zones.draw')));
  }

  function startDrawing(existing, save) {
    stopDrawing();
    drawing = { points: [], line: L.polyline([], { color: '#d69e2e', weight: 3, dashArray: '4 4' }).addTo(view.map), save };
    name.value = existing?.name ?? '';
    kind.value = existing?.kind ?? 'depot';
    // Redrawing keeps the kind: a city area stays one, a named zone stays named.
    kind.disabled = existing !== null;
    drawError.textContent = '';
    preview();
    drawSide();
    view.map.getContainer().classList.add('drawing');
  }

  function stopDrawing() {
    if (!drawing) return;
    drawing.line.remove();
    drawing = null;
    view.map.getContainer().classList.remove('drawing');
    drawSide();
  }

  function preview() {
    const screen = drawing.points.map(([lat, lon]) => view.toScreen(lat, lon));
    drawing.line.setLatLngs(screen.length > 2 ? [...screen, screen[0]] : screen);
    corners.textContent = `${t('zones.points')}: ${drawing.points.length}`;
  }

  view.map.on('click', (event) => {
    if (!drawing) return;
    drawing.points.push(view.pick(event.latlng));
    preview();
  });

  async function finishDrawing() {
    drawError.textContent = '';
    if (!name.value.trim()) { drawError.textContent = t('zones.needName'); return; }
    if (drawing.points.length < 3) { drawError.textContent = t('zones.needPoints'); return; }
    const points = drawing.points.map(([latitude, longitude]) => ({ latitude: Number(latitude.toFixed(6)), longitude: Number(longitude.toFixed(6)) }));
    try {
      if (drawing.save) await drawing.save(points, name.value.trim(), kind.value);
      else if (kind.value === 'city') await putCity([...city, { name: name.value.trim(), points }]);
      else await api.post('/api/v1/named-zones', { name: name.value.trim(), kind: kind.value, points });
      toast(t('zones.saved'), 'ok');
      stopDrawing();
      await load();
    } catch (error) {
      drawError.textContent = explain(error);
    }
  }

  const putCity = (areas) => api.put('/api/v1/zones', { city: areas });
  const saveCity = (area, points) => putCity(city.map(a => (a === area ? { name: name.value.trim(), points } : a)));
  const saveNamed = (id, points, zoneName, zoneKind) => api.put(`/api/v1/named-zones/${id}`, { id, name: zoneName, kind: zoneKind, points });
  async function removeCity(area) {
    if (city.length < 2) return toast(t('zones.lastArea'), 'error');
    try {
      await putCity(city.filter(a => a !== area));
      toast(t('zones.saved'), 'ok');
      await load();
    } catch (error) {
      toast(explain(error), 'error');
    }
  }

  // The calendar: twelve small months; a weekday may be a holiday, a weekend day a worked one.
  const thisYear = Number(new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 4));
  const year = h('select', { id: 'calendar-year' }, [thisYear - 1, thisYear, thisYear + 1].map(y => h('option', { value: y, selected: y === thisYear }, String(y))));
  year.addEventListener('change', () => loadCalendar().catch(error => toast(explain(error), 'error')));
  async function loadCalendar() {
    const answer = await api.get(`/api/v1/calendar/${year.value}`);
    const holidays = new Set(answer.holidays);
    const worked = new Set(answer.workingWeekends);
    const source = h('input', { id: 'calendar-source', maxlength: 500, value: answer.source ?? '' });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const months = h('div', { class: 'months' });
    const drawMonths = () => show(months, Array.from({ length: 12 }, (_, m) => month(Number(year.value), m, holidays, worked, drawMonths)));
    drawMonths();
    const save = async () => {
      error.textContent = '';
      try {
        await api.put(`/api/v1/calendar/${year.value}`, { source: source.value.trim(), holidays: [...holidays].sort(), workingWeekends: [...worked].sort() });
        toast(t('zones.saved'), 'ok');
        await loadCalendar();
      } catch (failure) {
        error.textContent = explain(failure);
      }
    };
    show(calendarBox,
      h('div', { class: 'row' }, h('h3', {}, t('zones.calendar')), h('label', {}, t('zones.year'), year),
        h('span', { id: 'calendar-state', 'data-announced': String(answer.announced) }, answer.announced ? t('zones.announced', { source: answer.source }) : t('zones.notAnnounced'))),
      answer.warning ? h('p', { class: 'notice', id: 'calendar-warning' }, answer.warning) : null,
      h('div', { class: 'legend' }, h('span', { class: 'off' }, t('zones.legendOff')), h('span', { class: 'holiday' }, t('zones.legendHoliday')), h('span', { class: 'worked' }, t('zones.legendWorked'))),
      admin ? h('p', { class: 'hint' }, t('zones.calendarHint')) : null,
      months,
      admin ? h('div', { class: 'row' }, h('label', {}, t('zones.source'), source), h('button', { type: 'button', class: 'primary', id: 'calendar-save', onclick: save }, t('zones.saveCalendar'))) : null,
      error);
  }

  function month(y, m, holidays, worked, redraw) {
    const first = new Date(Date.UTC(y, m, 1));
    const days = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    const lead = (first.getUTCDay() + 6) % 7; // Monday first
    const cells = [...Array(lead).fill(null), ...Array.from({ length: days }, (_, d) => d + 1)];
    const weeks = [];
    for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
    const cell = (day, column) => {
      if (day === null) return h('td', {});
      const date = `${y}-${String(m + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
      const weekend = column >= 5;
      const set = weekend ? worked : holidays;
      const state = set.has(date) ? (weekend ? 'worked' : 'holiday') : weekend ? 'off' : '';
      const td = h('td', { class: `${state}${admin ? ' editable' : ''}`, 'data-date': date }, String(day));
      if (admin) td.addEventListener('click', () => { if (!set.delete(date)) set.add(date); redraw(); });
      return td;
    };
    return h('div', { class: 'month' }, h('strong', {}, t('zones.month', { month: m + 1 })),
      h('table', {}, h('tr', {}, [...t('zones.weekdays')].map(d => h('th', {}, d))), weeks.map(week => h('tr', {}, week.map((day, i) => cell(day, i))))));
  }

  await load();
  await loadCalendar();
  return () => view.map.remove();
}
