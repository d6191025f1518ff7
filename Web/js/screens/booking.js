// A booking's page: what was asked, every transition (who, when, note), the SLA clocks, the
// engine's reasons crew by crew, and what the signed-in role may do now (confirm, match, override,
// cancel, incident; approve or refuse for the agency's approver), beside a map of the pick-up,
// stops and destination. It refreshes itself on the booking's own live events.
import { h, show, table } from '../dom.js';
import { t, register, formatTime } from '../i18n.js';
import { createMap } from '../map.js';
import { renderClock, tickClocks } from '../clocks.js';
import { stateLabel } from '../words.js';

register({
  zh: {
    'booking.title': '订单 #{id}', 'booking.urgent': '紧急', 'booking.request': '用车需求', 'booking.clocks': '时限', 'booking.noClocks': '无运行中的时限',
    'booking.agency': '用车单位', 'booking.contact': '联系人', 'booking.passengers': '乘车人数', 'booking.vehicleClass': '车型', 'booking.pickupTime': '上车时间',
    'booking.serviceEnd': '服务结束', 'booking.from': '上车地点', 'booking.to': '目的地', 'booking.stops': '途经', 'booking.notes': '路线说明',
    'booking.needs': '特殊需求', 'booking.channel': '渠道', 'booking.crew': '车辆与驾驶员', 'booking.transfer': '接送（按次计价）',
    'booking.channel.phone': '电话', 'booking.channel.platform': '平台', 'booking.channel.contact': '联系人',
    'booking.class.sedan': '轿车', 'booking.class.suv': 'SUV', 'booking.class.van': '商务车',
    'booking.history': '状态记录', 'booking.at': '时间', 'booking.state': '状态', 'booking.by': '操作人', 'booking.note': '备注',
    'booking.actions': '操作', 'booking.noActions': '当前状态下没有可执行的操作',
    'booking.confirm': '确认订单', 'booking.match': '立即派车', 'booking.approve': '批准', 'booking.refuse': '拒绝', 'booking.cancel': '取消订单',
    'booking.incident': '报告故障 / 事故', 'booking.override': '改派车组', 'booking.reason': '原因', 'booking.submit': '提交',
    'booking.kind.breakdown': '故障', 'booking.kind.accident': '事故', 'booking.kind': '类型', 'booking.crewChoice': '可选车组',
    'booking.done.confirm': '订单已确认，系统正在派车', 'booking.done.match': '已派车', 'booking.done.approve': '已批准', 'booking.done.refuse': '已拒绝',
    'booking.done.cancel': '订单已取消', 'booking.done.incident': '已报告，正在派出替换车组', 'booking.done.override': '已改派',
    'booking.explanation': '派车说明', 'booking.plate': '车牌', 'booking.driver': '驾驶员', 'booking.verdict': '结论', 'booking.reasons': '原因',
    'booking.cost': '成本', 'booking.reload': '刷新说明', 'booking.map': '上车点与目的地',
    'booking.verdict.chosen': '选中', 'booking.verdict.ineligible': '不符合', 'booking.verdict.servesAnother': '服务其他订单',
    'booking.verdict.keptInReserve': '预留备用', 'booking.verdict.costlier': '成本更高', 'booking.assigned': '当前车组',
    'booking.vehicleHere': '{plate} 当前位置',
  },
  en: {
    'booking.title': 'Booking #{id}', 'booking.urgent': 'Urgent', 'booking.request': 'Request', 'booking.clocks': 'Clocks', 'booking.noClocks': 'No clock running',
    'booking.agency': 'Agency', 'booking.contact': 'Contact', 'booking.passengers': 'Passengers', 'booking.vehicleClass': 'Vehicle class', 'booking.pickupTime': 'Pick-up',
    'booking.serviceEnd': 'Service ends', 'booking.from': 'From', 'booking.to': 'To', 'booking.stops': 'Stops', 'booking.notes': 'Route notes',
    'booking.needs': 'Special needs', 'booking.channel': 'Channel', 'booking.crew': 'Vehicle and driver', 'booking.transfer': 'Transfer (per trip)',
    'booking.channel.phone': 'Phone', 'booking.channel.platform': 'Platform', 'booking.channel.contact': 'Contact',
    'booking.class.sedan': 'Sedan', 'booking.class.suv': 'SUV', 'booking.class.van': 'Van',
    'booking.history': 'History', 'booking.at': 'Time', 'booking.state': 'State', 'booking.by': 'By', 'booking.note': 'Note',
    'booking.actions': 'Actions', 'booking.noActions': 'Nothing to do in this state',
    'booking.confirm': 'Confirm', 'booking.match': 'Match now', 'booking.approve': 'Approve', 'booking.refuse': 'Refuse', 'booking.cancel': 'Cancel booking',
    'booking.incident': 'Report breakdown / accident', 'booking.override': 'Override the crew', 'booking.reason': 'Reason', 'booking.submit': 'Submit',
    'booking.kind.breakdown': 'Breakdown', 'booking.kind.accident': 'Accident', 'booking.kind': 'Kind', 'booking.crewChoice': 'Eligible crews',
    'booking.done.confirm': 'Confirmed: the engine is matching it', 'booking.done.match': 'Matched', 'booking.done.approve': 'Approved', 'booking.done.refuse': 'Refused',
    'booking.done.cancel': 'Booking cancelled', 'booking.done.incident': 'Reported: a replacement crew is being sent', 'booking.done.override': 'Crew overridden',
    'booking.explanation': "The engine's reasons", 'booking.plate': 'Plate', 'booking.driver': 'Driver', 'booking.verdict': 'Verdict', 'booking.reasons': 'Why',
    'booking.cost': 'Cost', 'booking.reload': 'Explain again', 'booking.map': 'Pick-up and destination',
    'booking.verdict.chosen': 'Chosen', 'booking.verdict.ineligible': 'Ineligible', 'booking.verdict.servesAnother': 'Serves another booking',
    'booking.verdict.keptInReserve': 'Kept in reserve', 'booking.verdict.costlier': 'Costlier', 'booking.assigned': 'Assigned',
    'booking.vehicleHere': '{plate} now',
  },
});


const operators = ['administrator', 'dispatcher'];
const readers = [...operators, 'auditor'];
const cancellable = ['awaitingApproval', 'received', 'confirmed', 'matched', 'notified', 'enRoute', 'onSite', 'replaced'];

/** What each role may do in each state; `form` actions ask for a reason (and more) first. */
const ACTIONS = [
  { key: 'confirm', roles: operators, states: ['received'], path: 'confirm', primary: true },
  { key: 'match', roles: operators, states: ['confirmed', 'replaced'], path: 'match', primary: true },
  { key: 'approve', roles: ['approver'], states: ['awaitingApproval'], path: 'approve', primary: true },
  { key: 'override', roles: operators, states: ['confirmed', 'matched', 'notified', 'replaced'], form: 'override' },
  { key: 'refuse', roles: ['approver'], states: ['awaitingApproval'], path: 'refuse', form: 'reason' },
  { key: 'incident', roles: operators, states: ['notified', 'enRoute', 'onSite', 'inService'], path: 'incident', form: 'incident' },
  { key: 'cancel', roles: [...operators, 'agency'], states: cancellable, path: 'cancel', form: 'reason' },
];

export async function render(container, ctx) {
  const { api, live, user } = ctx;
  const id = Number(ctx.parameters.id);
  const reader = readers.includes(user.role);
  const [first, agencies, vehicles] = await Promise.all([
    api.get(`/api/v1/bookings/${id}`),
    reader ? api.get('/api/v1/agencies') : [],
    reader ? api.get('/api/v1/vehicles') : [],
  ]);
  let { booking, clocks } = first;
  let explanation = null;
  const agencyName = new Map(agencies.map(a => [a.id, a.name]));
  const plates = new Map(vehicles.map(v => [v.file.id, v.file.plate]));
  const drivers = new Map();

  const heading = h('div', { class: 'card booking-head', id: 'booking-head' });
  const request = h('div', { class: 'card', id: 'booking-request' });
  const actions = h('div', { class: 'card', id: 'booking-actions' });
  const history = h('div', { class: 'card', id: 'booking-history' });
  const reasons = reader ? h('div', { class: 'card', id: 'booking-explanation' }) : null;
  const mapElement = h('div', { class: 'map', id: 'booking-map' });
  show(container, h('div', { class: 'split booking-page', dataset: { booking: id } },
    h('div', { class: 'side' }, heading, actions, request, history, reasons), h('div', { class: 'booking-map' }, mapElement)));

  const map = createMap(mapElement, ctx, { zoom: 13, center: [booking.request.pickup.latitude, booking.request.pickup.longitude] });
  const places = L.layerGroup().addTo(map.map);
  // The side column's height settles after the first draw: Leaflet must measure again.
  const resized = new ResizeObserver(() => map.map.invalidateSize());
  resized.observe(mapElement);
  let vehicleMarker = null;

  function draw() {
    drawHeading();
    drawRequest();
    drawActions();
    drawHistory();
    drawPlaces();
  }

  function crewText(vehicleID, driverID) {
    // An agency's user is not given the fleet's files: no plate to show, and no internal id either.
    const plate = plates.get(vehicleID) ?? (reader && vehicleID ? `#${vehicleID}` : null);
    return [plate, drivers.get(driverID)].filter(Boolean).join(' · ') || '—';
  }

  function drawHeading() {
    show(heading,
      h('h2', {}, t('booking.title', { id: booking.id }), ' ',
        h('span', { class: 'badge state', id: 'booking-state', dataset: { state: booking.state } }, stateLabel(booking.state)), ' ',
        booking.urgent ? h('span', { class: 'badge red' }, t('booking.urgent')) : null),
      h('div', { class: 'booking-crew' }, t('booking.crew'), ': ',
        h('strong', { id: 'booking-crew', dataset: { vehicle: booking.vehicleID ?? '' } }, crewText(booking.vehicleID, booking.driverID))),
      h('div', { class: 'booking-clocks', id: 'booking-clocks' }, clocks.length ? clocks.map(c => renderClock(c)) : t('booking.noClocks')));
  }

  function drawRequest() {
    const r = booking.request;
    const rows = [
      ['agency', agencyName.get(booking.agencyID) ?? (user.agencyID === booking.agencyID ? null : `#${booking.agencyID}`)],
      ['contact', `${r.contactName} ${r.contactPhone}`],
      ['passengers', r.passengers],
      ['vehicleClass', t(`booking.class.${r.vehicleClass}`)],
      ['pickupTime', formatTime(r.pickupTime)],
      ['serviceEnd', formatTime(r.serviceEnd)],
      ['from', r.pickup.address],
      ['stops', (r.stops ?? []).map(s => s.address).join(' → ') || null],
      ['to', r.destination.address],
      ['notes', r.routeNotes],
      ['needs', r.specialNeeds],
      ['channel', `${t(`booking.channel.${r.channel}`)}${r.transfer ? ` · ${t('booking.transfer')}` : ''}`],
    ].filter(([, value]) => value !== null && value !== undefined && value !== '');
    show(request, h('h3', {}, t('booking.request')),
      h('dl', { class: 'facts' }, rows.flatMap(([key, value]) => [h('dt', {}, t(`booking.${key}`)), h('dd', { dataset: { field: key } }, value)])));
  }

  function drawHistory() {
    show(history, h('h3', {}, t('booking.history')), table([
      [t('booking.at'), tr => formatTime(tr.at, { seconds: true })],
      [t('booking.state'), tr => stateLabel(tr.state)],
      [t('booking.by'), tr => tr.by],
      [t('booking.crew'), tr => crewText(tr.vehicleID, tr.driverID)],
      [t('booking.note'), tr => tr.note],
    ], booking.transitions, { rowAttributes: tr => ({ dataset: { state: tr.state } }) }));
  }

  function drawActions() {
    const allowed = ACTIONS.filter(a => a.roles.includes(user.role) && a.states.includes(booking.state));
    show(actions, h('h3', {}, t('booking.actions')),
      allowed.length === 0 ? h('p', { class: 'muted' }, t('booking.noActions')) : h('div', { class: 'booking-actions' },
        allowed.filter(a => !a.form).map(a => h('button', {
          class: a.primary ? 'primary' : null, id: `action-${a.key}`, dataset: { action: a.key }, onclick: (event) => act(a, {}, event.currentTarget),
        }, t(`booking.${a.key}`))),
        allowed.filter(a => a.form).map(actionForm)));
  }

  /** An action that needs words first: a folded form under its button. */
  function actionForm(action) {
    const reason = h('input', { name: 'reason', id: `reason-${action.key}`, required: true, maxlength: 500 });
    const fields = [];
    let body;
    if (action.form === 'incident') {
      const kind = h('select', { name: 'kind', id: 'incident-kind' }, ['breakdown', 'accident'].map(k => h('option', { value: k }, t(`booking.kind.${k}`))));
      fields.push(h('label', {}, t('booking.kind'), kind));
      body = () => ({ kind: kind.value, note: reason.value.trim() });
    } else if (action.form === 'override') {
      const eligible = (explanation?.crews ?? []).filter(c => c.verdict !== 'ineligible'
        && !(c.vehicleID === booking.vehicleID && c.driverID === booking.driverID));
      const crew = h('select', { name: 'crew', id: 'override-crew', required: true },
        eligible.map(c => h('option', { value: `${c.vehicleID}:${c.driverID}` }, `${c.plate} · ${c.driverName} (${t(`booking.verdict.${c.verdict}`)})`)));
      fields.push(h('label', {}, t('booking.crewChoice'), crew));
      body = () => {
        const [vehicleID, driverID] = crew.value.split(':').map(Number);
        return { vehicleID, driverID, reason: reason.value.trim() };
      };
    } else {
      body = () => ({ reason: reason.value.trim() });
    }
    const submit = h('button', { type: 'submit', class: action.key === 'cancel' || action.key === 'refuse' ? 'danger' : 'primary', id: `action-${action.key}` },
      t('booking.submit'));
    return h('details', { class: 'action-form', dataset: { action: action.key } },
      h('summary', {}, t(`booking.${action.key}`)),
      h('form', { onsubmit: (event) => { event.preventDefault(); act(action, body(), submit); } },
        fields, h('label', {}, t('booking.reason'), reason), submit));
  }

  async function act(action, body, button) {
    button.disabled = true;
    try {
      const path = `/api/v1/bookings/${id}/${action.path ?? ''}`;
      const answer = action.key === 'override' ? await api.put(`/api/v1/bookings/${id}/assignment`, body) : await api.post(path, body);
      ctx.toast(t(`booking.done.${action.key}`), 'ok');
      if (answer?.booking) ({ booking, clocks } = answer);
      draw();
      refresh();
    } catch (error) {
      ctx.toast(ctx.explain(error), 'error');
      button.disabled = false;
    }
  }

  function drawPlaces() {
    places.clearLayers();
    const r = booking.request;
    const points = [r.pickup, ...(r.stops ?? []), r.destination];
    const line = points.map(p => map.toScreen(p.latitude, p.longitude));
    L.polyline(line, { color: '#1f6feb', weight: 3, dashArray: '6 6', interactive: false }).addTo(places);
    points.forEach((p, i) => {
      const role = i === 0 ? 'from' : i === points.length - 1 ? 'to' : 'stops';
      const color = role === 'from' ? '#2f855a' : role === 'to' ? '#c53030' : '#1f6feb';
      L.circleMarker(line[i], { radius: 9, color: '#fff', weight: 2, fillColor: color, fillOpacity: 1 })
        .bindTooltip(h('span', {}, `${t(`booking.${role}`)}: ${p.address}`), { permanent: role !== 'stops', direction: 'top', offset: [0, -8] })
        .addTo(places);
    });
    map.map.fitBounds(L.latLngBounds(line), { padding: [60, 60], maxZoom: 15 });
  }

  async function loadExplanation() {
    if (!reader) return;
    try {
      explanation = await api.get(`/api/v1/bookings/${id}/explanation`);
      for (const c of explanation.crews) { plates.set(c.vehicleID, c.plate); drivers.set(c.driverID, c.driverName); }
    } catch (error) {
      explanation = null;
      show(reasons, h('h3', {}, t('booking.explanation')), h('p', { class: 'form-error' }, ctx.explain(error)));
      return;
    }
    const assigned = (c) => c.vehicleID === explanation.assignedVehicleID && c.driverID === explanation.assignedDriverID;
    const order = { chosen: 0, costlier: 1, keptInReserve: 2, servesAnother: 3, ineligible: 4 };
    const crews = [...explanation.crews].sort((a, b) => (assigned(b) - assigned(a)) || (order[a.verdict] - order[b.verdict]) || ((a.cost ?? 0) - (b.cost ?? 0)));
    show(reasons,
      h('div', { class: 'row between' }, h('h3', {}, t('booking.explanation')), h('button', { class: 'link', onclick: refresh }, t('booking.reload'))),
      table([
        [t('booking.plate'), c => [c.plate, assigned(c) ? h('span', { class: 'badge' }, t('booking.assigned')) : null]],
        [t('booking.driver'), c => c.driverName],
        [t('booking.verdict'), c => h('span', { class: `verdict ${c.verdict}` }, t(`booking.verdict.${c.verdict}`))],
        [t('booking.reasons'), c => c.reasons.join('；')],
        [t('booking.cost'), c => c.cost ?? '—'],
      ], crews, { rowAttributes: c => ({ dataset: { vehicle: c.vehicleID, driver: c.driverID, verdict: c.verdict } }) }));
  }

  let stopped = false;
  let refreshing = false;
  let again = false;
  /** The booking and the engine's view again; one at a time, events meanwhile ask once more. */
  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      const body = await api.get(`/api/v1/bookings/${id}`);
      if (stopped) return;
      ({ booking, clocks } = body);
      await loadExplanation();
      if (!stopped) draw();
    } catch (error) {
      if (!stopped) ctx.toast(ctx.explain(error), 'error');
    } finally {
      refreshing = false;
      if (again && !stopped) { again = false; refresh(); }
    }
  }

  await loadExplanation();
  draw();

  const unsubscribe = [
    live.on('booking', (event) => { if (event.id === id && event.version > booking.version) refresh(); }),
    live.on('alert', (event) => { if (event.bookingID === id) refresh(); }),
    reader ? live.on('positions', (batch) => {
      const here = booking.vehicleID && batch.find(p => p.vehicleID === booking.vehicleID);
      if (!here) return;
      const at = map.toScreen(here.latitude, here.longitude);
      if (!vehicleMarker) {
        vehicleMarker = L.circleMarker(at, { radius: 7, color: '#102a43', weight: 2, fillColor: '#f0b429', fillOpacity: 1 })
          .bindTooltip(h('span', {}, t('booking.vehicleHere', { plate: here.plate })), { direction: 'right' }).addTo(map.map);
      } else {
        vehicleMarker.setLatLng(at);
      }
    }) : null,
    tickClocks(container),
  ].filter(Boolean);
  return () => { stopped = true; unsubscribe.forEach(stop => stop()); resized.disconnect(); map.map.remove(); };
}
