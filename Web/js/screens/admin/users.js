// Users and roles: the administrator creates users (an agency user or approver with its agency),
// disables and enables them, and ends their sessions; the auditor reads the list only.
import { h, show, table } from '../../dom.js';
import { register } from '../../i18n.js';

register({
  zh: {
    'users.title': '用户', 'users.new': '新建用户', 'users.id': '编号', 'users.username': '用户名', 'users.role': '角色', 'users.agency': '用车单位',
    'users.password': '初始密码（至少 12 位，不能是用户名或常见密码）', 'users.create': '创建', 'users.created': '已创建用户 {username}',
    'users.disable': '停用', 'users.enable': '启用', 'users.endSessions': '结束会话', 'users.disabled': '已停用 {username}，结束会话 {sessions} 个',
    'users.enabled': '已启用 {username}', 'users.ended': '已结束 {username} 的 {sessions} 个会话', 'users.status': '状态', 'users.off': '已停用',
    'users.on': '正常', 'users.noAgency': '—', 'users.readOnly': '审计员只读：用户由管理员维护。',
  },
  en: {
    'users.title': 'Users', 'users.new': 'New user', 'users.id': 'ID', 'users.username': 'Username', 'users.role': 'Role', 'users.agency': 'Agency',
    'users.password': 'First password (12 characters or more, not the username nor a common one)', 'users.create': 'Create', 'users.created': 'User {username} created',
    'users.disable': 'Disable', 'users.enable': 'Enable', 'users.endSessions': 'End sessions', 'users.disabled': '{username} disabled, {sessions} session(s) ended',
    'users.enabled': '{username} enabled', 'users.ended': '{sessions} session(s) of {username} ended', 'users.status': 'Status', 'users.off': 'Disabled',
    'users.on': 'Active', 'users.noAgency': '—', 'users.readOnly': 'Read-only for auditors: administrators keep the users.',
  },
});

const roles = ['administrator', 'dispatcher', 'agency', 'approver', 'driver', 'auditor'];
const agencyRoles = ['agency', 'approver'];

export async function render(container, ctx) {
  const { api, t, toast, explain, user } = ctx;
  const admin = user.role === 'administrator';
  const list = h('div', { id: 'users' });
  let fresh = null;
  const agencies = await api.get('/api/v1/agencies');
  const agencyName = new Map(agencies.map(a => [a.id, a.name]));

  async function load() {
    const users = await api.get('/api/v1/users');
    const columns = [
      [t('users.id'), u => String(u.id)],
      [t('users.username'), u => u.username],
      [t('users.role'), u => t(`role.${u.role}`)],
      [t('users.agency'), u => (u.agencyID ? agencyName.get(u.agencyID) ?? `#${u.agencyID}` : t('users.noAgency'))],
    ];
    // The list says whether a user is disabled once the API gives it.
    if (users.some(u => 'disabled' in u)) columns.push([t('users.status'), u => h('span', { class: `badge ${u.disabled ? 'red' : ''}` }, u.disabled ? t('users.off') : t('users.on'))]);
    if (admin) columns.push(['', actions]);
    show(list, table(columns, users, { rowAttributes: u => ({ 'data-user': u.id, 'data-username': u.username, class: u.id === fresh ? 'fresh' : null }) }));
  }

  function actions(u) {
    const act = (label, name, call, done) => {
      const button = h('button', { class: name === 'disable' ? 'danger' : null, type: 'button', 'data-action': name }, label);
      button.addEventListener('click', async () => {
        button.disabled = true;
        try {
          const answer = await call();
          toast(t(done, { username: u.username, sessions: answer?.sessions ?? 0 }), 'ok');
          await load();
        } catch (error) {
          toast(explain(error), 'error');
          button.disabled = false;
        }
      });
      return button;
    };
    return h('span', { class: 'actions' },
      u.disabled !== true ? act(t('users.disable'), 'disable', () => api.post(`/api/v1/users/${u.id}/disable`), 'users.disabled') : null,
      u.disabled !== false ? act(t('users.enable'), 'enable', () => api.post(`/api/v1/users/${u.id}/enable`), 'users.enabled') : null,
      act(t('users.endSessions'), 'sessions', () => api.delete(`/api/v1/users/${u.id}/sessions`), 'users.ended'));
  }

  function form() {
    const username = h('input', { name: 'username', id: 'new-username', required: true, maxlength: 64, autocomplete: 'off' });
    const password = h('input', { name: 'password', id: 'new-password', type: 'password', required: true, minlength: 12, maxlength: 1024, autocomplete: 'new-password' });
    const role = h('select', { name: 'role', id: 'new-role' }, roles.map(r => h('option', { value: r }, t(`role.${r}`))));
    const agency = h('select', { name: 'agency', id: 'new-agency' }, agencies.map(a => h('option', { value: a.id }, a.name)));
    const agencyLabel = h('label', {}, t('users.agency'), agency);
    const sync = () => { const needs = agencyRoles.includes(role.value); agency.disabled = !needs; agencyLabel.hidden = !needs; };
    role.addEventListener('change', sync);
    sync();
    const error = h('p', { class: 'form-error', role: 'alert' });
    return h('form', { class: 'card', id: 'new-user', onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = '';
      const body = { username: username.value.trim(), password: password.value, role: role.value };
      if (agencyRoles.includes(role.value)) body.agencyID = Number(agency.value);
      try {
        const created = await api.post('/api/v1/users', body);
        fresh = created.id;
        toast(t('users.created', { username: created.username }), 'ok');
        event.target.reset();
        sync();
        await load();
      } catch (failure) {
        error.textContent = explain(failure);
      }
    } },
    h('h3', {}, t('users.new')),
    h('label', {}, t('users.username'), username), h('label', {}, t('users.password'), password),
    h('label', {}, t('users.role'), role), agencyLabel, error,
    h('button', { type: 'submit', class: 'primary', id: 'create-user' }, t('users.create')));
  }

  container.append(h('h2', {}, t('users.title')),
    h('div', { class: 'admin-grid' }, list, admin ? form() : h('p', { class: 'notice' }, t('users.readOnly'))));
  await load();
}
