// One vehicle's page: its whole file and standing, where it is on a small map, its charge, the
// commands sent to its terminal and what came of them, and the photos it uploaded. Operators
// send commands from here (locate, parameters, attributes, a text to the driver, a photo,
// tracking); auditors read only.
import { h, show, table, yuan } from '../../dom.js';
import { register, formatTime } from '../../i18n.js';
import { createMap } from '../../map.js';
import { field, clearErrors, showError, integer } from './fields.js';

register({
  zh: {
    'vehicle.dispatchable': '可调度', 'vehicle.notDispatchable': '不可调度', 'vehicle.charge': '电量 {percent}', 'vehicle.range': '续航 {km} 公里',
    'vehicle.reserve': '备用车', 'vehicle.terminal': '终端 {phone}', 'vehicle.noTerminal': '未绑定终端', 'vehicle.position': '最新位置',
    'vehicle.noPosition': '尚无位置', 'vehicle.at': '{time} · {speed} km/h', 'vehicle.policies': '保险', 'vehicle.inspections': '检验', 'vehicle.maintenance': '维修保养',
    'vehicle.kind': '类别', 'vehicle.insurer': '保险公司', 'vehicle.amount': '保额', 'vehicle.from': '起', 'vehicle.until': '止', 'vehicle.date': '日期',
    'vehicle.passed': '结果', 'vehicle.pass': '合格', 'vehicle.fail': '不合格', 'vehicle.findings': '发现', 'vehicle.inspector': '检验人', 'vehicle.description': '内容',
    'vehicle.cost': '费用', 'vehicle.unfinished': '未完成',
    'vehicle.commands': '终端指令', 'vehicle.command': '指令', 'vehicle.send': '发送', 'vehicle.sending': '等待终端应答…',
    'vehicle.cmd.locate': '位置查询', 'vehicle.cmd.queryParameters': '查询参数', 'vehicle.cmd.attributes': '终端属性', 'vehicle.cmd.text': '文本下发',
    'vehicle.cmd.photo': '拍照', 'vehicle.cmd.tracking': '临时跟踪', 'vehicle.cmd.setParameters': '设置参数', 'vehicle.cmd.confirmAlarm': '报警确认',
    'vehicle.text': '文字', 'vehicle.tts': '语音播报', 'vehicle.urgent': '紧急', 'vehicle.channel': '摄像头通道', 'vehicle.interval': '间隔（秒）', 'vehicle.validity': '持续（秒）',
    'vehicle.ttl': '离线时排队（秒，0 不排队）', 'vehicle.timeout': '应答时限（秒）',
    'vehicle.answer': '应答', 'vehicle.queued': '终端离线：指令 {id} 已排队，终端上线后下发', 'vehicle.history': '指令记录',
    'vehicle.id': '编号', 'vehicle.by': '发送人', 'vehicle.requestedAt': '发送时间', 'vehicle.state': '状态', 'vehicle.result': '结果',
    'vehicle.state.queued': '排队中', 'vehicle.state.sent': '已发送', 'vehicle.state.answered': '已应答', 'vehicle.state.failed': '连接断开',
    'vehicle.state.timedOut': '超时未应答', 'vehicle.state.expired': '过期未发送',
    'vehicle.result.0': '成功', 'vehicle.result.1': '失败', 'vehicle.result.2': '消息有误', 'vehicle.result.3': '终端不支持',
    'vehicle.located': '位置 {lat}, {lon}（{time}，{speed} km/h）', 'vehicle.mediaIds': '照片编号 {ids}，上传中…',
    'vehicle.photos': '照片', 'vehicle.noPhotos': '尚无照片', 'vehicle.photoTaken': '{time} · 通道 {channel} · {size} 字节',
    'vehicle.photoWaiting': '照片 {ids} 尚未上传，请稍后刷新',
    'vehicle.kind.compulsoryTraffic': '交强险', 'vehicle.kind.thirdPartyLiability': '第三者责任险', 'vehicle.kind.vehicleDamage': '车损险', 'vehicle.kind.seat': '座位险',
    'vehicle.kind.carrierLiability': '承运人责任险', 'vehicle.kind.monthly': '月度安全检查', 'vehicle.kind.quarterly': '季度检测', 'vehicle.kind.maintenance': '保养', 'vehicle.kind.repair': '维修',
  },
  en: {
    'vehicle.dispatchable': 'Dispatchable', 'vehicle.notDispatchable': 'Not dispatchable', 'vehicle.charge': 'Charge {percent}', 'vehicle.range': 'Range {km} km',
    'vehicle.reserve': 'Reserve', 'vehicle.terminal': 'Terminal {phone}', 'vehicle.noTerminal': 'No terminal bound', 'vehicle.position': 'Latest position',
    'vehicle.noPosition': 'No position yet', 'vehicle.at': '{time} · {speed} km/h', 'vehicle.policies': 'Insurance', 'vehicle.inspections': 'Inspections', 'vehicle.maintenance': 'Maintenance',
    'vehicle.kind': 'Kind', 'vehicle.insurer': 'Insurer', 'vehicle.amount': 'Cover', 'vehicle.from': 'From', 'vehicle.until': 'Until', 'vehicle.date': 'Date',
    'vehicle.passed': 'Result', 'vehicle.pass': 'Passed', 'vehicle.fail': 'Failed', 'vehicle.findings': 'Findings', 'vehicle.inspector': 'Inspector', 'vehicle.description': 'Work',
    'vehicle.cost': 'Cost', 'vehicle.unfinished': 'unfinished',
    'vehicle.commands': 'Terminal commands', 'vehicle.command': 'Command', 'vehicle.send': 'Send', 'vehicle.sending': 'Waiting for the terminal…',
    'vehicle.cmd.locate': 'Locate', 'vehicle.cmd.queryParameters': 'Query parameters', 'vehicle.cmd.attributes': 'Attributes', 'vehicle.cmd.text': 'Text to the driver',
    'vehicle.cmd.photo': 'Photo', 'vehicle.cmd.tracking': 'Tracking', 'vehicle.cmd.setParameters': 'Set parameters', 'vehicle.cmd.confirmAlarm': 'Confirm alarm',
    'vehicle.text': 'Text', 'vehicle.tts': 'Read aloud (TTS)', 'vehicle.urgent': 'Urgent', 'vehicle.channel': 'Camera channel', 'vehicle.interval': 'Every (s)', 'vehicle.validity': 'For (s)',
    'vehicle.ttl': 'Queue while offline (s, 0: do not)', 'vehicle.timeout': 'Answer within (s)',
    'vehicle.answer': 'Answer', 'vehicle.queued': 'Terminal offline: command {id} queued until it connects', 'vehicle.history': 'Commands sent',
    'vehicle.id': 'No.', 'vehicle.by': 'By', 'vehicle.requestedAt': 'Sent', 'vehicle.state': 'State', 'vehicle.result': 'Result',
    'vehicle.state.queued': 'Queued', 'vehicle.state.sent': 'Sent', 'vehicle.state.answered': 'Answered', 'vehicle.state.failed': 'Connection closed',
    'vehicle.state.timedOut': 'No answer in time', 'vehicle.state.expired': 'Expired unsent',
    'vehicle.result.0': 'OK', 'vehicle.result.1': 'Failed', 'vehicle.result.2': 'Bad message', 'vehicle.result.3': 'Not supported',
    'vehicle.located': 'At {lat}, {lon} ({time}, {speed} km/h)', 'vehicle.mediaIds': 'Photo ids {ids}, uploading…',
    'vehicle.photos': 'Photos', 'vehicle.noPhotos': 'No photos yet', 'vehicle.photoTaken': '{time} · channel {channel} · {size} bytes',
    'vehicle.photoWaiting': 'Photo {ids} not uploaded yet: look again shortly',
    'vehicle.kind.compulsoryTraffic': 'Compulsory traffic', 'vehicle.kind.thirdPartyLiability': 'Third-party liability', 'vehicle.kind.vehicleDamage': 'Vehicle damage', 'vehicle.kind.seat': 'Seats',
    'vehicle.kind.carrierLiability': 'Carrier liability', 'vehicle.kind.monthly': 'Monthly safety check', 'vehicle.kind.quarterly': 'Quarterly inspection', 'vehicle.kind.maintenance': 'Maintenance', 'vehicle.kind.repair': 'Repair',
  },
});

// The commands an operator sends from here, and the inputs each needs beyond ttl and timeout.
const KINDS = ['locate', 'queryParameters', 'attributes', 'text', 'photo', 'tracking'];
// How long a photo the terminal named may take to arrive after its answer (0x0801 follows 0x0805).
const PHOTO_WAIT_MS = 60_000;
const PHOTO_POLL_MS = 1_500;

/** A day as the file reads it: China time, with its year (policies run for years). */
function day(value) {
  return value ? new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(value)) : '—';
}

/** The answer's decoded body, whether the record holds the frame or only its body. */
function body(answer) { return answer?.body ?? answer ?? {}; }

export async function render(container, ctx) {
  const { api, live, user, t, toast, explain } = ctx;
  const plate = ctx.parameters.plate;
  const path = `/api/v1/vehicles/${encodeURIComponent(plate)}`;
  const operator = user.role === 'administrator' || user.role === 'dispatcher';
  const photos = new Map(); // media id -> { url, size } of its blob, fetched once, revoked on leaving
  const timers = new Set();
  let left = false;

  const [detail, latest] = await Promise.all([api.get(path), api.get('/api/v1/positions/latest')]);
  const file = detail.file;
  const position = h('div', { id: 'vehicle-position', class: 'desk-muted' });
  const mapBox = h('div', { class: 'map desk-map' });
  const history = h('div', { id: 'command-history' });
  const gallery = h('div', { id: 'vehicle-photos', class: 'desk-photos' });
  const answer = h('div', { id: 'command-answer', class: 'desk-answer', 'aria-live': 'polite' });

  show(container,
    h('div', { class: 'row desk-head' },
      h('h2', { id: 'vehicle-plate' }, file.plate),
      h('span', { class: `badge ${detail.dispatchable ? 'desk-ok' : 'red'}`, id: 'vehicle-standing', dataset: { dispatchable: String(detail.dispatchable) } },
        detail.dispatchable ? t('vehicle.dispatchable') : t('vehicle.notDispatchable')),
      detail.reasons.length ? h('span', { class: 'desk-reasons' }, detail.reasons.join('；')) : null,
      h('span', { id: 'vehicle-charge', dataset: { charge: file.stateOfCharge ?? '' } }, t('vehicle.charge', { percent: file.stateOfCharge == null ? '—' : `${file.stateOfCharge}%` })),
      h('span', {}, t('vehicle.range', { km: file.rangeKm })),
      file.reserve ? h('span', { class: 'badge' }, t('vehicle.reserve')) : null,
      h('span', { class: 'desk-muted' }, [file.brand, file.model, file.vin].filter(Boolean).join(' · ')),
      h('span', { class: 'desk-muted' }, file.terminalPhone ? t('vehicle.terminal', { phone: file.terminalPhone }) : t('vehicle.noTerminal'))),
    h('div', { class: 'split desk-split' },
      h('div', { class: 'desk-scroll' },
        h('div', { class: 'card' }, h('h3', {}, t('vehicle.position')), position, mapBox),
        h('div', { class: 'card' }, h('h3', {}, t('vehicle.photos')), gallery),
        fileTables()),
      h('aside', { class: 'side' },
        operator ? commandForm() : null,
        h('div', { class: 'card' }, h('h3', {}, t('vehicle.history')), history))));

  // The map: the newest fix, drawn through toScreen (tiles may be GCJ-02).
  const here = latest.find(p => p.plate === file.plate);
  const { map, toScreen } = createMap(mapBox, ctx, { zoom: 15, center: here ? [here.latitude, here.longitude] : undefined });
  let marker = null;
  function place(fix, { pan = false } = {}) {
    position.dataset.latitude = fix.latitude;
    position.dataset.longitude = fix.longitude;
    position.textContent = `${fix.latitude.toFixed(6)}, ${fix.longitude.toFixed(6)} · ${t('vehicle.at', { time: formatTime(fix.time, { seconds: true }), speed: fix.speedKmh })}`;
    const point = toScreen(fix.latitude, fix.longitude);
    if (marker) marker.setLatLng(point);
    else marker = L.circleMarker(point, { radius: 8, color: '#1f6feb', weight: 2, fillOpacity: 0.7 }).bindTooltip(file.plate).addTo(map);
    // Only an answer moves the view: the stream's fixes must not fight the operator's panning.
    if (pan) map.panTo(point);
  }
  if (here) place(here); else position.textContent = t('vehicle.noPosition');

  function fileTables() {
    const cells = (...columns) => columns;
    return h('div', { class: 'card' },
      h('h3', {}, t('vehicle.policies')),
      table(cells(
        [t('vehicle.kind'), p => t(`vehicle.kind.${p.kind}`)], [t('vehicle.insurer'), p => p.insurer], [t('vehicle.amount'), p => yuan(p.amountFen)],
        [t('vehicle.from'), p => day(p.startsAt)], [t('vehicle.until'), p => day(p.expiresAt)]), detail.policies, { empty: t('empty') }),
      h('h3', {}, t('vehicle.inspections')),
      table(cells(
        [t('vehicle.kind'), i => t(`vehicle.kind.${i.kind}`)], [t('vehicle.date'), i => day(i.inspectedAt)],
        [t('vehicle.passed'), i => h('span', { class: `badge ${i.passed ? 'desk-ok' : 'red'}` }, i.passed ? t('vehicle.pass') : t('vehicle.fail'))],
        [t('vehicle.findings'), i => i.findings ?? ''], [t('vehicle.inspector'), i => i.inspector ?? '']), detail.inspections, { empty: t('empty') }),
      h('h3', {}, t('vehicle.maintenance')),
      table(cells(
        [t('vehicle.kind'), m => t(`vehicle.kind.${m.kind}`)], [t('vehicle.from'), m => day(m.startedAt)],
        [t('vehicle.until'), m => (m.finishedAt ? day(m.finishedAt) : h('span', { class: 'badge amber' }, t('vehicle.unfinished')))],
        [t('vehicle.description'), m => m.description], [t('vehicle.cost'), m => yuan(m.costFen)]), detail.maintenance, { empty: t('empty') }));
  }

  function commandForm() {
    const kind = h('select', { name: 'command', id: 'command-kind', onchange: () => showInputs() }, KINDS.map(k => h('option', { value: k }, t(`vehicle.cmd.${k}`))));
    const i = {
      text: h('textarea', { name: 'text', rows: 3, maxlength: 500 }),
      tts: h('input', { name: 'tts', type: 'checkbox' }),
      urgent: h('input', { name: 'urgent', type: 'checkbox' }),
      channel: h('input', { name: 'channel', type: 'number', min: 1, max: 255, value: 1 }),
      intervalSeconds: h('input', { name: 'intervalSeconds', type: 'number', min: 1, max: 3600, value: 5 }),
      validitySeconds: h('input', { name: 'validitySeconds', type: 'number', min: 1, max: 86400, value: 600 }),
      ttlSeconds: h('input', { name: 'ttlSeconds', type: 'number', min: 0, max: 604800, value: 0 }),
      timeoutSeconds: h('input', { name: 'timeoutSeconds', type: 'number', min: 1, max: 120, value: 30 }),
    };
    const groups = {
      text: h('div', { class: 'desk-grid' }, field(t('vehicle.text'), i.text, { wide: true }), field(t('vehicle.tts'), i.tts), field(t('vehicle.urgent'), i.urgent)),
      photo: h('div', { class: 'desk-grid' }, field(t('vehicle.channel'), i.channel)),
      tracking: h('div', { class: 'desk-grid' }, field(t('vehicle.interval'), i.intervalSeconds), field(t('vehicle.validity'), i.validitySeconds)),
    };
    function showInputs() { for (const [name, group] of Object.entries(groups)) group.hidden = name !== kind.value; }
    const submit = h('button', { type: 'submit', class: 'primary', id: 'command-send' }, t('vehicle.send'));

    function request() {
      const command = kind.value;
      const common = { command, ttlSeconds: integer(i.ttlSeconds) || undefined, timeoutSeconds: integer(i.timeoutSeconds) };
      if (command === 'text') return { ...common, text: i.text.value, tts: i.tts.checked, urgent: i.urgent.checked };
      if (command === 'photo') return { ...common, channel: integer(i.channel) };
      if (command === 'tracking') return { ...common, intervalSeconds: integer(i.intervalSeconds), validitySeconds: integer(i.validitySeconds) };
      return common;
    }

    const form = h('form', { id: 'command-form', class: 'card desk-form', onsubmit: async (event) => {
      event.preventDefault();
      clearErrors(form);
      submit.disabled = true;
      show(answer, h('p', { class: 'loading' }, t('vehicle.sending')));
      delete answer.dataset.state;
      try {
        const record = await api.post(`${path}/commands`, request());
        showAnswer(record);
      } catch (error) {
        // 409 (offline), 504 (no answer) and refusals: the server's detail says what to do next.
        answer.dataset.state = `error-${error.status ?? ''}`;
        show(answer, h('p', { class: 'form-error' }, explain(error)));
        if (error.field) showError(form, error, explain);
      } finally {
        submit.disabled = false;
        loadHistory();
      }
    } },
    h('h3', {}, t('vehicle.commands')),
    h('div', { class: 'desk-grid' }, field(t('vehicle.command'), kind), field(t('vehicle.ttl'), i.ttlSeconds), field(t('vehicle.timeout'), i.timeoutSeconds)),
    Object.values(groups), h('p', { class: 'form-error', role: 'alert' }), submit, answer);
    showInputs();
    return form;
  }

  // What came back: the state, and what the answer says for its kind.
  function showAnswer(record) {
    answer.dataset.state = record.state;
    answer.dataset.command = record.id;
    if (record.state === 'queued') return show(answer, h('p', {}, t('vehicle.queued', { id: record.id })));
    const content = body(record.answer);
    const parts = [h('p', {}, `${t(`vehicle.state.${record.state}`)} · ${record.resultCode == null ? '' : t(`vehicle.result.${record.resultCode}`)}`)];
    if (content.location) {
      const fix = { latitude: content.location.lat, longitude: content.location.lon, time: content.location.time, speedKmh: content.location.speedKmh };
      answer.dataset.latitude = fix.latitude;
      answer.dataset.longitude = fix.longitude;
      parts.push(h('p', { class: 'desk-located' }, t('vehicle.located', { lat: fix.latitude.toFixed(6), lon: fix.longitude.toFixed(6), time: formatTime(fix.time, { seconds: true }), speed: fix.speedKmh })));
      place(fix, { pan: true });
    } else if (Array.isArray(content.mediaIds)) {
      parts.push(h('p', {}, t('vehicle.mediaIds', { ids: content.mediaIds.join(', ') })));
      if (content.mediaIds.length) awaitPhotos(content.mediaIds);
    } else if (record.answer) {
      parts.push(h('dl', { class: 'desk-fields' }, describe(content.parameters ?? content)));
    }
    show(answer, parts);
  }

  /** An answer's members as terms and values (text only, never markup). */
  function describe(object) {
    return Object.entries(object).filter(([key]) => key !== 'replySerial').map(([key, value]) =>
      [h('dt', {}, key), h('dd', {}, typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value))]);
  }

  async function loadHistory() {
    try {
      const { items } = await api.get(`${path}/commands?limit=50`);
      show(history, table([
        [t('vehicle.id'), c => c.id],
        [t('vehicle.command'), c => t(`vehicle.cmd.${c.command}`)],
        [t('vehicle.requestedAt'), c => formatTime(c.requestedAt, { seconds: true })],
        [t('vehicle.by'), c => c.requestedBy],
        [t('vehicle.state'), c => h('span', { class: `badge ${c.state === 'answered' ? 'desk-ok' : c.state === 'queued' || c.state === 'sent' ? '' : 'amber'}` }, t(`vehicle.state.${c.state}`))],
        [t('vehicle.result'), c => (c.resultCode == null ? (c.failure ?? '—') : t(`vehicle.result.${c.resultCode}`))],
      ], items, { empty: t('empty'), rowAttributes: c => ({ dataset: { command: c.id, state: c.state, kind: c.command } }) }));
    } catch (error) {
      toast(explain(error), 'error');
    }
  }

  // Photos come as blobs through the session (img-src allows blob:), each fetched once.
  async function loadPhotos() {
    const { items } = await api.get(`${path}/media?limit=30`);
    const images = items.filter(item => item.contentType.startsWith('image/'));
    for (const item of images) {
      if (photos.has(item.id)) continue;
      const response = await api.raw('GET', `/api/v1/media/${item.id}`);
      if (left) return items;
      const blob = await response.blob();
      photos.set(item.id, { url: URL.createObjectURL(blob), size: blob.size });
    }
    show(gallery, images.length === 0 ? h('p', { class: 'loading' }, t('vehicle.noPhotos')) : images.map(item => h('figure', { dataset: { media: item.id, mediaId: item.mediaID } },
      h('img', { src: photos.get(item.id).url, alt: `${file.plate} ${item.mediaID}`, dataset: { bytes: photos.get(item.id).size } }),
      h('figcaption', {}, t('vehicle.photoTaken', { time: formatTime(item.takenAt ?? item.receivedAt, { seconds: true }), channel: item.channel, size: photos.get(item.id).size })))));
    return items;
  }

  // The terminal names its photo in the answer; the picture itself follows in its own upload.
  function awaitPhotos(ids) {
    const deadline = Date.now() + PHOTO_WAIT_MS;
    const look = async () => {
      timers.delete(timer);
      if (left) return;
      try {
        const items = await loadPhotos();
        const arrived = new Set(items.map(item => item.mediaID));
        if (ids.every(id => arrived.has(id))) return;
        if (Date.now() > deadline) { toast(t('vehicle.photoWaiting', { ids: ids.join(', ') }), 'error'); return; }
      } catch (error) {
        toast(explain(error), 'error');
        return;
      }
      timer = setTimeout(look, PHOTO_POLL_MS);
      timers.add(timer);
    };
    let timer = setTimeout(look, 0);
    timers.add(timer);
  }

  await Promise.all([loadHistory(), loadPhotos().catch(error => toast(explain(error), 'error'))]);
  // The stream carries positions to operators; an auditor's page shows the fix it opened with.
  const stop = operator ? live.on('positions', batch => {
    const fix = batch.find(p => p.plate === file.plate);
    if (fix) place(fix);
  }) : null;
  return () => {
    left = true;
    stop?.();
    for (const timer of timers) clearTimeout(timer);
    for (const { url } of photos.values()) URL.revokeObjectURL(url);
    map.remove();
  };
}
