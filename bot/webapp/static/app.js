// regbot's Mini App form. No framework, no build step, no Telegram SDK: the
// launch data comes from the URL's fragment (#tgWebAppData=…), where
// Telegram puts it, and the page talks to the Telegram client with the
// client's own event protocol (post/receive below). Every text comes from
// the server, in the draft's language; the rules are the server's too: the
// page checks a field by asking api/check as the applicant leaves it.
'use strict';
(function () {
  const launch = new URLSearchParams(location.hash.slice(1));
  const initData = launch.get('tgWebAppData') || '';
  const platform = launch.get('tgWebAppPlatform') || '';
  const inTelegram = platform !== '' && platform !== 'unknown';
  const app = document.getElementById('app');

  // --- Telegram's client events, without its SDK.
  const handlers = {};
  function on(type, fn) { handlers[type] = fn; }
  function receive(type, data) { if (handlers[type]) handlers[type](data || {}); }
  function post(type, data) {
    const body = JSON.stringify(data || {});
    try {
      if (window.TelegramWebviewProxy) {
        window.TelegramWebviewProxy.postEvent(type, body); // iOS and Android
      } else if (window.external && 'notify' in window.external) {
        window.external.notify(JSON.stringify({ eventType: type, eventData: data || {} })); // Windows Phone
      } else if (window.parent !== window) {
        window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), '*'); // web clients
      }
    } catch (e) { /* not in Telegram */ }
  }
  window.Telegram = window.Telegram || {};
  window.Telegram.WebView = window.Telegram.WebView || {};
  window.Telegram.WebView.receiveEvent = receive;
  window.addEventListener('message', function (ev) {
    try { const m = JSON.parse(ev.data); if (m && m.eventType) receive(m.eventType, m.eventData); } catch (e) { /* not ours */ }
  });

  // --- Theme (themeParams → --tg-theme-* variables).
  let theme = {};
  function applyTheme(p) {
    if (!p) return;
    theme = p;
    document.documentElement.classList.add('tg');
    for (const k of Object.keys(p)) {
      if (typeof p[k] === 'string') document.documentElement.style.setProperty('--tg-theme-' + k.replace(/_/g, '-'), p[k]);
    }
  }
  try { const t = launch.get('tgWebAppThemeParams'); if (t) applyTheme(JSON.parse(t)); } catch (e) { /* none */ }
  on('theme_changed', function (d) { applyTheme(d.theme_params); });

  // --- Elements.
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const k of kids) if (k) e.append(k);
    return e;
  }
  function notice(text, notes) {
    app.replaceChildren(el('div', { class: 'notice', id: 'notice' }, el('p', { text: text, id: 'notice-text' }),
      notes && notes.length ? el('div', { class: 'notes', id: 'notes' }, ...notes.map(n => el('p', { text: n }))) : null,
      closeButton()));
    app.setAttribute('aria-busy', 'false');
    mainButton(null);
  }
  function closeButton() {
    if (!inTelegram || !texts.close) return null;
    const b = el('button', { type: 'button', id: 'close', text: texts.close });
    b.addEventListener('click', function () { post('web_app_close'); });
    return b;
  }

  // --- API.
  async function api(path, body) {
    const res = await fetch('api/' + path, {
      method: body ? 'POST' : 'GET',
      headers: Object.assign({ 'Authorization': 'tma ' + initData }, body ? { 'Content-Type': 'application/json' } : {}),
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
    let data = {};
    try { data = await res.json(); } catch (e) { /* empty */ }
    return { status: res.status, data: data };
  }

  // --- The form.
  let texts = {};
  let fields = [];      // FormField, in order
  const base = {};      // the values the page was given, by field
  const touched = {};   // fields the applicant has left once
  const confirmed = {}; // fields whose confirmation is ticked
  let saving = false;

  function input(f) { return document.getElementById('f_' + f.field); }

  function control(f) {
    const id = 'f_' + f.field;
    const common = { id: id, name: f.field, 'aria-describedby': 'err_' + f.field };
    switch (f.kind) {
      case 'readonly':
        return el('div', { class: 'readonly', id: id, 'data-value': f.value, text: f.value });
      case 'select': {
        const s = el('select', common, el('option', { value: '', text: texts.choose }));
        const groups = {};
        for (const o of f.options) {
          let g = s;
          if (o.group) { g = groups[o.group] || (groups[o.group] = s.appendChild(el('optgroup', { label: o.group }))); }
          g.append(el('option', { value: o.value, text: o.label, selected: o.value === f.value }));
        }
        return s;
      }
      case 'choice':
        return el('div', { id: id, role: 'radiogroup', 'aria-labelledby': 'l_' + f.field }, ...f.options.map((o, i) =>
          el('label', { class: 'choice' }, el('input', { type: 'radio', name: f.field, value: o.value, id: id + '_' + i,
            checked: o.value === f.value }), document.createTextNode(o.label))));
      case 'date':
        return el('input', Object.assign({ type: 'date', value: f.value, max: '2199-12-31' }, common));
      case 'term': {
        const open = f.value === 'open';
        const d = el('input', Object.assign({ type: 'date', value: open ? '' : f.value, disabled: open }, common));
        const c = el('input', { type: 'checkbox', id: id + '_open', checked: open });
        c.addEventListener('change', function () { d.disabled = c.checked; if (c.checked) d.value = ''; leave(f); });
        return el('div', { class: 'term' }, d, el('label', { class: 'choice' }, c, document.createTextNode(texts.open)));
      }
      case 'secret':
        return el('input', Object.assign({ type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters',
          maxlength: f.max || null, placeholder: f.masked || null }, common));
      case 'password':
        return el('div', {},
          el('input', Object.assign({ type: 'password', autocomplete: 'new-password', maxlength: f.max || null,
            placeholder: f.masked || null }, common)),
          el('input', { type: 'password', id: id + '_again', autocomplete: 'new-password', maxlength: f.max || null,
            placeholder: texts.again, 'aria-label': texts.again }));
      default: {
        const type = f.inputmode === 'tel' ? 'tel' : f.inputmode === 'email' ? 'email' : 'text';
        return el('input', Object.assign({ type: type, value: f.value || f.suggest || '', autocomplete: f.autocomplete || null,
          inputmode: f.inputmode || null, maxlength: f.max || null, spellcheck: 'false' }, common));
      }
    }
  }

  function fieldBlock(f) {
    const label = f.kind === 'choice' || f.kind === 'readonly' || f.kind === 'term'
      ? el('div', { class: 'label', id: 'l_' + f.field, text: f.label })
      : el('label', { for: 'f_' + f.field, id: 'l_' + f.field, text: f.label });
    if (f.required && !f.readonly) label.append(el('span', { class: 'req', 'aria-hidden': 'true', text: '*' }));
    if (!f.required && !f.readonly) label.append(el('span', { class: 'opt', text: texts.optional }));
    const b = el('div', { class: 'field', id: 'field_' + f.field }, label, control(f));
    if (f.derived) b.append(derived(f));
    if ((f.kind === 'secret' || f.kind === 'password') && f.masked) b.append(el('div', { class: 'hint', text: texts.secretSet }));
    if (f.hint) b.append(el('div', { class: f.hint.length > 80 ? 'hint long' : 'hint', text: f.hint }));
    if (f.example) b.append(el('div', { class: 'example', text: f.example }));
    b.append(el('div', { class: 'error', id: 'err_' + f.field, role: 'alert' }));
    const box = el('div', { class: 'confirm', id: 'confirm_' + f.field, hidden: true },
      el('p', { id: 'confirmq_' + f.field }),
      el('label', { class: 'choice' }, el('input', { type: 'checkbox', id: 'confirmed_' + f.field }), document.createTextNode(texts.confirm)));
    box.querySelector('input').addEventListener('change', function (ev) { confirmed[f.field] = ev.target.checked; check(); });
    b.append(box);
    if (f.kind !== 'readonly') {
      b.addEventListener('focusout', function (ev) {
        if (ev.relatedTarget && b.contains(ev.relatedTarget)) return; // still in the field (the password's second box)
        leave(f);
      });
      b.addEventListener('change', function (ev) {
        if (!ev.target.id.startsWith('confirmed_')) { confirmed[f.field] = false; box.querySelector('input').checked = false; }
        if (f.kind === 'choice' || f.kind === 'select') leave(f);
      });
    }
    return b;
  }

  function derived(f) {
    return el('ul', { class: 'derived', id: 'derived_' + f.field }, ...(f.derived || []).map(d => el('li', { text: d.label + '：' + d.value })));
  }

  function valueOf(f) {
    const e = input(f);
    switch (f.kind) {
      case 'readonly': return f.value;
      case 'choice': { const c = e.querySelector('input:checked'); return c ? c.value : ''; }
      case 'term': return document.getElementById('f_' + f.field + '_open').checked ? 'open' : e.value;
      default: return e.value.trim();
    }
  }

  function collect() {
    const values = {}, again = {}, confirm = [];
    for (const f of fields) {
      values[f.field] = valueOf(f);
      if (f.kind === 'password') again[f.field] = document.getElementById('f_' + f.field + '_again').value;
      if (confirmed[f.field]) confirm.push(f.field);
    }
    return { values: values, base: base, again: again, confirm: confirm };
  }

  function leave(f) { touched[f.field] = true; check(); }

  let checkTimer = 0, checkSeq = 0;
  function check() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(async function () {
      const seq = ++checkSeq;
      let r;
      try { r = await api('check', collect()); } catch (e) { return; }
      if (seq !== checkSeq || saving) return; // a newer check, or a save, answers instead
      if (r.status === 200) show(r.data, false);
      else if (r.status === 409) notice(r.data.closed);
    }, 150);
  }

  // show marks each field by the server's result: all of them after a save,
  // else only those the applicant has left.
  function show(res, all) {
    const missing = new Set(res.missing || []);
    let first = null;
    for (const f of fields) {
      if (f.kind === 'readonly' && !f.derived) continue;
      const visible = all || touched[f.field];
      let msg = (res.errors || {})[f.field] || '';
      if (!msg && missing.has(f.field)) msg = texts.required;
      const err = document.getElementById('err_' + f.field);
      err.textContent = visible ? msg : '';
      const e = input(f);
      if (e && e.tagName !== 'DIV') e.setAttribute('aria-invalid', visible && msg ? 'true' : 'false');
      const q = (res.confirm || {})[f.field];
      const box = document.getElementById('confirm_' + f.field);
      box.hidden = !q || !visible;
      if (q) document.getElementById('confirmq_' + f.field).textContent = q;
      if (visible && (msg || (q && !confirmed[f.field])) && !first) first = f;
      if (f.derived && res.derived && res.derived[f.field]) {
        f.derived = res.derived[f.field];
        document.getElementById('derived_' + f.field).replaceWith(derived(f));
      }
    }
    return first;
  }

  async function save() {
    if (saving) return;
    saving = true;
    for (const f of fields) touched[f.field] = true;
    busy(true);
    let r;
    try { r = await api('save', collect()); } catch (e) { r = { status: 0, data: {} }; }
    saving = false;
    busy(false);
    if (r.status === 200 && r.data.saved) {
      for (const [k, v] of Object.entries(r.data.values || {})) base[k] = v;
      if (inTelegram && !(r.data.notes || []).length) { post('web_app_close'); }
      notice(r.data.message || texts.saved, r.data.notes);
      app.dataset.saved = 'true';
      return;
    }
    if (r.status === 422) {
      const first = show(r.data, true);
      status(texts.fix);
      if (first) document.getElementById('field_' + first.field).scrollIntoView({ block: 'center' });
      return;
    }
    if (r.status === 409) { notice(r.data.closed); return; }
    status((r.data && r.data.error) || texts.failed);
  }

  function status(text) {
    document.getElementById('status').textContent = text || '';
    // In Telegram the bar holds no button (the main button saves): it shows only to say something.
    if (inTelegram) document.getElementById('actions').hidden = !text;
  }

  function busy(on) {
    const b = document.getElementById('save');
    if (b) { b.disabled = on; b.textContent = on ? texts.saving : texts.save; }
    mainButton(on ? 'progress' : 'save');
  }

  // mainButton shows Telegram's main button as the save button (null: hides it).
  function mainButton(mode) {
    if (!inTelegram) return;
    post('web_app_setup_main_button', mode === null ? { is_visible: false } : {
      is_visible: true, is_active: mode !== 'progress', is_progress_visible: mode === 'progress', text: texts.save,
      color: theme.button_color || '#2481cc', text_color: theme.button_text_color || '#ffffff',
    });
  }
  on('main_button_pressed', save);

  function render(form) {
    texts = form.texts || {};
    document.title = form.title;
    document.documentElement.lang = form.lang === 'en' ? 'en' : 'zh-Hans';
    fields = [];
    const parts = [el('h1', { text: form.title }), el('p', { class: 'intro', text: form.intro })];
    for (const s of form.sections) {
      const fs = el('fieldset', {}, el('legend', { text: s.name }));
      for (const f of s.fields) {
        fields.push(f);
        base[f.field] = f.value;
        fs.append(fieldBlock(f));
      }
      parts.push(fs);
    }
    const button = el('button', { type: 'button', id: 'save', text: texts.save });
    button.addEventListener('click', save);
    parts.push(el('div', { class: inTelegram ? 'actions tg' : 'actions', id: 'actions', hidden: inTelegram },
      el('div', { class: 'status', id: 'status', role: 'status' }), button));
    app.replaceChildren(...parts);
    app.setAttribute('aria-busy', 'false');
    app.dataset.ready = 'true';
    mainButton('save');
  }

  async function start() {
    post('web_app_ready');
    post('web_app_expand');
    let r;
    try { r = await api('form'); } catch (e) { r = { status: 0, data: {} }; }
    if (r.status === 200) { render(r.data); return; }
    if (r.status === 409) { notice(r.data.closed); return; }
    notice((r.data && r.data.error) || '⚠️ ' + (r.status || '…')); // no text of ours without the server
    app.dataset.refused = String(r.status);
  }
  start();
})();
