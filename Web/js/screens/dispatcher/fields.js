// Forms of the desk screens: each input named as the API's field, so a refusal naming a field
// (`ApiError.field`, e.g. `seats` or `settings.speedLimitKmh`) is shown beside that input.
import { h } from '../../dom.js';

/** A labelled input; its error line sits under it. */
export function field(label, input, { wide = false } = {}) {
  return h('label', { class: wide ? 'field wide' : 'field' }, label, input, h('span', { class: 'field-error', role: 'alert' }));
}

/** Clears the form's error lines. */
export function clearErrors(form) {
  for (const line of form.querySelectorAll('.field-error, .form-error')) line.textContent = '';
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/**
 * Shows `error` at the input its field names (the full path, else its last part), or in the
 * form's own error line when no input matches.
 */
export function showError(form, error, explain) {
  const name = error?.field;
  const input = name && (form.querySelector(`[name="${CSS.escape(name)}"]`) ?? form.querySelector(`[name="${CSS.escape(name.split('.').pop())}"]`));
  const line = input?.closest('label')?.querySelector('.field-error');
  if (line) {
    input.setAttribute('aria-invalid', 'true');
    line.textContent = error.message;
    input.focus();
  } else {
    form.querySelector('.form-error').textContent = explain(error);
  }
}

/** A number input's value as an integer, or undefined when empty (the API's default applies). */
export function integer(input) {
  return input.value.trim() === '' ? undefined : Number(input.value);
}
