// The board's manifest import: the airport's file uploaded whole or not at all, its problems listed
// beside their rows, and the template to fill in.

import { api, download } from './api.js';
import { fieldName, language, t } from './i18n.js';
import { act, field, fill, h, messageArea, section, table } from './ui.js';

/** The rows of a problem: one row, or every row with the same problem, as ranges (2–31, 40). */
function rowsText(problem) {
  const rows = problem.rows?.length ? problem.rows : [problem.row].filter((r) => r !== undefined && r !== null);
  const ranges = [];
  for (const row of rows) {
    const last = ranges[ranges.length - 1];
    if (last && row === last[1] + 1) last[1] = row;
    else ranges.push([row, row]);
  }
  const text = ranges.map(([a, b]) => (a === b ? String(a) : `${a}–${b}`)).join(', ');
  return rows.length > 1 ? `${text} (${t('board.rows_count', { n: rows.length })})` : text;
}

export function importForm(board) {
  const message = messageArea();
  const errors = h('div', { id: 'import-errors' });
  const file = h('input', { type: 'file', accept: '.xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', required: true, id: 'manifest-file' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('board.upload'));
  const form = h('form', { class: 'inline' }, field(t('board.file'), file), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fill(errors);
    const chosen = file.files[0];
    if (!chosen) return;
    const xlsx = /\.xlsx$/i.test(chosen.name);
    const type = xlsx ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv';
    submit.disabled = true;
    message.clear();
    try {
      const done = await api('POST', '/travellers/import', { body: chosen, contentType: type });
      message.ok(t('board.imported', { n: done.created }));
      if (done.ignored_columns?.length) {
        fill(errors, h('p', { class: 'muted', id: 'import-ignored' }, t('board.ignored', { columns: done.ignored_columns.join(language() === 'zh' ? '、' : ', ') })));
      }
      file.value = '';
      board.reload('waiting');
    } catch (err) {
      if (err.status === 422 && err.errors.length && err.errors[0].row !== undefined) {
        message.error(t('board.row_errors', { n: err.body.error_count ?? err.errors.length }));
        fill(
          errors,
          table(
            t('board.import'),
            [t('board.row'), t('board.column'), t('board.problem')],
            err.errors.map((x) => [rowsText(x), fieldName(x.field), x.message]),
            { class: 'errors' },
          ),
        );
        // The list starts below the form, often below the fold: bring the section into view.
        form.closest('section')?.scrollIntoView({ block: 'start' });
      } else {
        message.error(err);
      }
    } finally {
      submit.disabled = false;
    }
  });
  const template = (format, lang, label) => {
    const b = h('button', { type: 'button', class: 'link', dataset: { template: `${format}-${lang}` } }, label);
    b.addEventListener('click', () =>
      act(b, message, async () => {
        const name = await download('/travellers/import/template', { format, lang }, `manifest-template.${format}`);
        message.ok(t('board.downloaded', { name }));
      }),
    );
    return b;
  };
  return section(
    t('board.import'),
    form,
    h('p', {}, `${t('board.template')}: `, template('xlsx', 'zh', `${t('board.template_xlsx')} (中文)`), ' · ', template('xlsx', 'en', `${t('board.template_xlsx')} (English)`), ' · ', template('csv', 'zh', t('board.template_csv'))),
    message.el,
    errors,
  );
}
