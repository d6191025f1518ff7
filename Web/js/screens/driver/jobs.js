// The driver's phone: today's jobs, each a big card to tap. Drivers have no live stream, so the
// list is asked for again every few seconds while it is on screen.
import { h, show } from '../../dom.js';
import { register, formatTime } from '../../i18n.js';
import { stateBadge } from '../../words.js';

register({
  zh: {
    'jobs.title': '我的任务', 'jobs.none': '暂无任务。新任务派给您后会出现在这里。', 'jobs.passengers': '{count} 人',
    'jobs.to': '至', 'jobs.refreshFailed': '刷新失败：{reason}',
  },
  en: {
    'jobs.title': 'My jobs', 'jobs.none': 'No jobs yet. A job given to you appears here.', 'jobs.passengers': '{count} pax',
    'jobs.to': 'to', 'jobs.refreshFailed': 'Could not refresh: {reason}',
  },
});

/** How often the driver's screens ask for their jobs again. */
export const refreshMilliseconds = 5000;


export async function render(container, ctx) {
  const { api, t, explain } = ctx;
  const list = h('div', { id: 'jobs', class: 'jobs' });
  const status = h('p', { class: 'form-error', role: 'alert' });
  container.classList.add('phone');
  container.append(h('h2', {}, t('jobs.title')), status, list);

  function card(job) {
    const { request } = job.booking;
    return h('a', { class: 'job-card', href: `#/job/${job.booking.id}`, 'data-job': job.booking.id },
      h('div', { class: 'job-when' }, h('strong', {}, formatTime(request.pickupTime)), stateBadge(job.booking.state)),
      h('div', { class: 'job-where' }, request.pickup.address),
      h('div', { class: 'job-sub' }, t('jobs.to'), ' ', request.destination.address),
      h('div', { class: 'job-sub' }, request.contactName, ' · ', t('jobs.passengers', { count: request.passengers })));
  }

  async function load() {
    const jobs = await api.get('/api/v1/jobs');
    status.textContent = '';
    show(list, jobs.length ? jobs.map(card) : h('p', { class: 'notice', id: 'no-jobs' }, t('jobs.none')));
  }

  await load();
  const timer = setInterval(() => load().catch(error => { status.textContent = t('jobs.refreshFailed', { reason: explain(error) }); }), refreshMilliseconds);
  return () => clearInterval(timer);
}
