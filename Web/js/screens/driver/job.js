// One job on the driver's phone: when and where to pick up (a small map), whom to call, and the
// next step in big buttons: the pre-trip check then en route; on site, which the server judges
// from the GNSS track (its answer is shown); in service; completed with tolls and parking typed
// in yuan (sent as integer fen) and a photo of each receipt.
import { ApiError } from '../../api.js';
import { h, show, yuan } from '../../dom.js';
import { register, formatTime } from '../../i18n.js';
import { createMap } from '../../map.js';
import { refreshMilliseconds } from './jobs.js';
import { stateBadge, parseDecimal } from '../../words.js';

register({
  zh: {
    'job.back': '‹ 任务列表', 'job.gone': '此任务已不在您的任务中（已完成、取消或改派）。', 'job.pickup': '上车', 'job.destination': '目的地',
    'job.contact': '联系人', 'job.call': '拨打 {phone}', 'job.passengers': '乘车人数', 'job.needs': '特殊需求', 'job.notes': '路线备注',
    'job.check': '出车前检查（全部通过才能出发）', 'job.check.brakes': '制动', 'job.check.steering': '转向', 'job.check.lights': '灯光',
    'job.check.tyres': '轮胎', 'job.check.charge': '电量足够本次行程', 'job.check.kit': '随车工具与急救包', 'job.check.cleanliness': '车内整洁',
    'job.enRoute': '检查通过，出发', 'job.onSite': '我已到达上车点', 'job.onSiteHint': '到达由 GNSS 轨迹判定：车辆需在上车点 150 米以内。',
    'job.onSiteBy': '已到达 {time}（{by}确认）', 'job.byTrack': 'GNSS 轨迹', 'job.byDriver': '驾驶员',
    'job.inService': '乘客已上车，开始服务', 'job.complete': '完成行程', 'job.tolls': '过路费（元）', 'job.parking': '停车费（元）',
    'job.km': '与乘车人核对的里程（公里，选填）', 'job.minutes': '与乘车人核对的用时（分钟，选填）',
    'job.receipts': '票据照片（每张票据一张）', 'job.receiptAdded': '票据已上传', 'job.uploading': '正在上传…',
    'job.needReceipt': '有过路费或停车费时，请为每张票据拍照上传', 'job.badYuan': '{field}：请输入金额，例如 12.50',
    'job.badNumber': '{field}：请输入数字', 'job.completed': '行程已完成：过路费 {tolls}，停车费 {parking}，票据 {count} 张。',
    'job.incident': '故障或事故', 'job.incidentKind.breakdown': '故障', 'job.incidentKind.accident': '事故', 'job.incidentNote': '情况说明',
    'job.incidentSend': '上报并请求换车', 'job.incidentSent': '已上报，调度正在安排换车',
  },
  en: {
    'job.back': '‹ Jobs', 'job.gone': 'This job is no longer yours (completed, cancelled or given to another crew).', 'job.pickup': 'Pick-up',
    'job.destination': 'Destination', 'job.contact': 'Contact', 'job.call': 'Call {phone}', 'job.passengers': 'Passengers',
    'job.needs': 'Special needs', 'job.notes': 'Route notes',
    'job.check': 'Pre-trip check (all must pass to set off)', 'job.check.brakes': 'Brakes', 'job.check.steering': 'Steering', 'job.check.lights': 'Lights',
    'job.check.tyres': 'Tyres', 'job.check.charge': 'Charge enough for the trip', 'job.check.kit': 'Tools and first-aid kit', 'job.check.cleanliness': 'Clean inside',
    'job.enRoute': 'Checked: set off', 'job.onSite': 'I am at the pick-up', 'job.onSiteHint': 'Arrival is judged from the GNSS track: the car within 150 m of the pick-up.',
    'job.onSiteBy': 'On site at {time} (confirmed by {by})', 'job.byTrack': 'the GNSS track', 'job.byDriver': 'the driver',
    'job.inService': 'Passengers aboard: start service', 'job.complete': 'Complete the trip', 'job.tolls': 'Tolls (yuan)', 'job.parking': 'Parking (yuan)',
    'job.km': 'Distance agreed with the passenger (km, optional)', 'job.minutes': 'Time agreed with the passenger (minutes, optional)',
    'job.receipts': 'Receipt photos (one per receipt)', 'job.receiptAdded': 'Receipt uploaded', 'job.uploading': 'Uploading…',
    'job.needReceipt': 'With tolls or parking, photograph and upload each receipt', 'job.badYuan': '{field}: type an amount, e.g. 12.50',
    'job.badNumber': '{field}: type a number', 'job.completed': 'Trip completed: tolls {tolls}, parking {parking}, {count} receipt(s).',
    'job.incident': 'Breakdown or accident', 'job.incidentKind.breakdown': 'Breakdown', 'job.incidentKind.accident': 'Accident', 'job.incidentNote': 'What happened',
    'job.incidentSend': 'Report and ask for a replacement', 'job.incidentSent': 'Reported: dispatch is sending a replacement',
  },
});

const checks = ['brakes', 'steering', 'lights', 'tyres', 'charge', 'kit', 'cleanliness'];


/** Sends a receipt's photo as it is (JPEG or PNG), or re-encoded as a JPEG when it is another kind or large. */
async function uploadReceipt(bookingID, file) {
  const body = (file.type === 'image/jpeg' || file.type === 'image/png') && file.size <= 2_000_000 ? file : await shrink(file);
  let response;
  try {
    response = await fetch(`/api/v1/bookings/${bookingID}/receipts`, {
      method: 'POST', credentials: 'same-origin', body,
      headers: { 'X-Requested-With': 'fleet-console', 'Content-Type': body.type },
    });
  } catch (error) {
    throw new ApiError(0, { detail: error.message });
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

/** A phone camera's photo down to 1600 px on its longer side, as a JPEG: a receipt stays readable. */
async function shrink(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return new Promise(resolve => canvas.toBlob(resolve, 'image/jpeg', 0.85));
}

export async function render(container, ctx) {
  const { api, t, explain, toast } = ctx;
  const id = Number(ctx.parameters.id);
  container.classList.add('phone');
  const head = h('div', { class: 'job-head' });
  const mapBox = h('div', { class: 'map job-map', id: 'job-map' });
  const facts = h('div', { class: 'job-facts' });
  const step = h('div', { class: 'card job-step', id: 'job-step' });
  const message = h('p', { class: 'form-error', role: 'alert', id: 'job-message' });
  const incident = h('details', { class: 'job-incident' });
  container.append(h('a', { href: '#/jobs', class: 'back' }, t('job.back')), head, step, message, facts, mapBox, incident);

  let job = null;
  let drawn = null;
  let receipts = [];
  // The step the driver is filling in is kept while the job is asked for again.
  let shownState = null;
  let busy = false;
  // Each step the driver takes counts here: a refresh asked for before it answers with the job
  // as it was, and must not undo the step on screen.
  let steps = 0;

  async function load() {
    const asked = steps;
    const jobs = await api.get('/api/v1/jobs');
    if (asked !== steps) return;
    const found = jobs.find(j => j.booking.id === id);
    if (!found) {
      if (job?.booking.state !== 'completed') {
        container.dataset.state = 'gone';
        show(step, h('p', { id: 'job-gone' }, t('job.gone')));
      }
      return;
    }
    job = found;
    draw();
  }

  function draw() {
    const { booking } = job;
    const { request } = booking;
    container.dataset.state = booking.state;
    show(head, h('div', { class: 'job-when' }, h('strong', {}, formatTime(request.pickupTime)), stateBadge(booking.state)),
      h('div', { class: 'job-where' }, request.pickup.address));
    show(facts,
      fact(t('job.contact'), request.contactName, ' ', h('a', { class: 'call', href: `tel:${request.contactPhone}`, id: 'call' }, t('job.call', { phone: request.contactPhone }))),
      fact(t('job.passengers'), String(request.passengers)),
      fact(t('job.destination'), request.destination.address),
      request.specialNeeds ? fact(t('job.needs'), request.specialNeeds) : null,
      request.routeNotes ? fact(t('job.notes'), request.routeNotes) : null);
    if (!drawn) drawn = drawMap(request);
    if (shownState !== booking.state) {
      shownState = booking.state;
      drawStep(booking);
      drawIncident(booking);
    }
  }

  function fact(label, ...value) { return h('div', { class: 'fact' }, h('span', { class: 'label' }, label), h('span', {}, ...value)); }

  function drawMap(request) {
    const view = createMap(mapBox, ctx, { zoom: 14, center: [request.pickup.latitude, request.pickup.longitude] });
    const pickup = view.toScreen(request.pickup.latitude, request.pickup.longitude);
    const destination = view.toScreen(request.destination.latitude, request.destination.longitude);
    L.circleMarker(pickup, { radius: 9, color: '#1f6feb', fillOpacity: 0.9 }).bindTooltip(h('span', {}, t('job.pickup')), { permanent: true }).addTo(view.map);
    L.circleMarker(destination, { radius: 7, color: '#2f855a', fillOpacity: 0.9 }).bindTooltip(h('span', {}, t('job.destination'))).addTo(view.map);
    view.map.fitBounds(L.latLngBounds([pickup, destination]), { padding: [30, 30], maxZoom: 15 });
    return view;
  }

  async function advance(body, button) {
    if (busy) return;
    busy = true;
    steps += 1;
    button.disabled = true;
    message.textContent = '';
    try {
      const answer = await api.post(`/api/v1/bookings/${id}/progress`, body);
      job = answer;
      if (answer.booking.state === 'completed') return finished(answer.booking);
      draw();
    } catch (error) {
      message.textContent = explain(error);
    } finally {
      busy = false;
      button.disabled = false;
    }
  }

  function drawStep(booking) {
    message.textContent = '';
    switch (booking.state) {
      case 'matched': case 'notified': return preTripCheck();
      case 'enRoute': return onSite();
      case 'onSite': return show(step, arrival(booking), bigButton('inService', t('job.inService'), b => advance({ state: 'inService' }, b)));
      case 'inService': return completion(booking);
      default: return show(step, stateBadge(booking.state));
    }
  }

  function bigButton(name, label, action) {
    const button = h('button', { class: 'primary big', id: `step-${name}`, 'data-step': name, type: 'button' }, label);
    button.addEventListener('click', () => action(button));
    return button;
  }

  function preTripCheck() {
    const boxes = checks.map(name => h('input', { type: 'checkbox', name, id: `check-${name}` }));
    const go = bigButton('enRoute', t('job.enRoute'), b => advance({ state: 'enRoute', preTripCheck: Object.fromEntries(boxes.map(box => [box.name, box.checked])) }, b));
    const sync = () => { go.disabled = !boxes.every(box => box.checked); };
    boxes.forEach(box => box.addEventListener('change', sync));
    sync();
    show(step, h('fieldset', { class: 'checks' }, h('legend', {}, t('job.check')),
      boxes.map(box => h('label', { class: 'check', for: box.id }, box, t(`job.check.${box.name}`)))), go);
  }

  function onSite() {
    show(step, h('p', { class: 'hint' }, t('job.onSiteHint')), bigButton('onSite', t('job.onSite'), b => advance({ state: 'onSite' }, b)));
  }

  /** The server's answer to "on site": when, and whether the track or the driver said so. */
  function arrival(booking) {
    const at = booking.transitions.findLast(step => step.state === 'onSite');
    if (!at) return null;
    return h('p', { class: 'arrival', id: 'onsite-answer', 'data-by': at.by },
      t('job.onSiteBy', { time: formatTime(at.at, { seconds: true }), by: at.by === 'gnss' ? t('job.byTrack') : t('job.byDriver') }));
  }

  function completion(booking) {
    receipts = [];
    const tolls = h('input', { id: 'tolls', inputmode: 'decimal', autocomplete: 'off', placeholder: '0.00' });
    const parking = h('input', { id: 'parking', inputmode: 'decimal', autocomplete: 'off', placeholder: '0.00' });
    const km = h('input', { id: 'reported-km', inputmode: 'decimal', autocomplete: 'off' });
    const minutes = h('input', { id: 'reported-minutes', inputmode: 'numeric', autocomplete: 'off' });
    const photos = h('div', { class: 'receipts', id: 'receipts' });
    const camera = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id: 'receipt-photo' });
    camera.addEventListener('change', async () => {
      const file = camera.files[0];
      if (!file) return;
      const item = h('div', { class: 'receipt uploading' }, h('img', { src: URL.createObjectURL(file), alt: '' }), h('span', {}, t('job.uploading')));
      photos.append(item);
      try {
        const answer = await uploadReceipt(id, file);
        receipts.push(answer.reference);
        item.className = 'receipt';
        item.dataset.reference = answer.reference;
        show(item.lastChild, t('job.receiptAdded'));
      } catch (error) {
        item.remove();
        message.textContent = explain(error);
      }
      camera.value = '';
    });
    const done = bigButton('completed', t('job.complete'), button => {
      const read = (input, label, places, bad) => {
        // A field left empty is none: no toll, no parking.
        const value = input.value.trim() === '' ? 0 : parseDecimal(input.value, places);
        if (value === null) throw new Error(t(bad, { field: label }));
        return value;
      };
      try {
        const tollsFen = read(tolls, t('job.tolls'), 2, 'job.badYuan');
        const parkingFen = read(parking, t('job.parking'), 2, 'job.badYuan');
        const metres = read(km, t('job.km'), 3, 'job.badNumber');
        const mins = read(minutes, t('job.minutes'), 0, 'job.badNumber');
        if ((tollsFen > 0 || parkingFen > 0) && receipts.length === 0) throw new Error(t('job.needReceipt'));
        const completion = { tollsFen, parkingFen, receipts };
        if (km.value.trim()) completion.reportedMetres = metres;
        if (minutes.value.trim()) completion.reportedSeconds = mins * 60;
        advance({ state: 'completed', completion }, button);
      } catch (error) {
        message.textContent = error.message;
      }
    });
    show(step, arrival(booking),
      h('label', {}, t('job.tolls'), tolls), h('label', {}, t('job.parking'), parking),
      h('label', { class: 'camera' }, t('job.receipts'), camera), photos,
      h('label', {}, t('job.km'), km), h('label', {}, t('job.minutes'), minutes), done);
  }

  function finished(booking) {
    container.dataset.state = booking.state;
    show(head, h('div', { class: 'job-when' }, stateBadge(booking.state)));
    show(step, h('p', { id: 'job-completed' }, t('job.completed', { tolls: yuan(booking.tollsFen), parking: yuan(booking.parkingFen), count: booking.receipts.length })),
      h('a', { href: '#/jobs', class: 'button primary big' }, t('job.back')));
    incident.replaceChildren();
    toast(t('state.completed'), 'ok');
  }

  function drawIncident(booking) {
    if (!['notified', 'enRoute', 'onSite', 'inService'].includes(booking.state)) return incident.replaceChildren();
    const kind = h('select', { id: 'incident-kind' }, ['breakdown', 'accident'].map(k => h('option', { value: k }, t(`job.incidentKind.${k}`))));
    const note = h('textarea', { id: 'incident-note', maxlength: 500, rows: 2 });
    const send = h('button', { class: 'danger', type: 'button', id: 'incident-send' }, t('job.incidentSend'));
    send.addEventListener('click', async () => {
      send.disabled = true;
      try {
        await api.post(`/api/v1/bookings/${id}/incident`, { kind: kind.value, note: note.value });
        toast(t('job.incidentSent'), 'ok');
        await load();
      } catch (error) {
        message.textContent = explain(error);
      } finally {
        send.disabled = false;
      }
    });
    show(incident, h('summary', {}, t('job.incident')), kind, h('label', {}, t('job.incidentNote'), note), send);
  }

  await load();
  const timer = setInterval(() => { if (!busy && job?.booking.state !== 'completed') load().catch(error => { message.textContent = explain(error); }); }, refreshMilliseconds);
  return () => { clearInterval(timer); drawn?.map.remove(); };
}
