/* The .coop registration data lookup page.
 *
 * Two halves: pure functions that turn an RDAP response into a plain "view"
 * (sections of labelled rows), and a thin DOM layer that draws a view. Keeping the
 * extraction DOM-free lets it be checked under node with the golden responses.
 * Everything from the service is untrusted: it reaches the page only through
 * textContent/setAttribute, links only if they are http(s), mailto or tel.
 */
'use strict';

const Rdap = (() => {
  // RFC 8056 statuses (plus RFC 9083 "active"/"associated"), in plain English.
  const STATUS_TEXT = {
    'active': 'Normal state: no operation is pending and no restriction applies.',
    'inactive': 'No nameservers are set, so the name does not work on the Internet.',
    'associated': 'In use: linked to another registry object (a nameserver used by a domain).',
    'client delete prohibited': 'The registrar has locked the domain against deletion.',
    'client transfer prohibited': 'The registrar has locked the domain against transfer to another registrar, a common protection against hijacking.',
    'client update prohibited': 'The registrar has locked the domain against changes.',
    'client renew prohibited': 'The registrar will not renew the domain.',
    'client hold': 'The registrar has taken the domain out of the DNS, so it does not resolve.',
    'server delete prohibited': 'The registry has locked the domain against deletion.',
    'server transfer prohibited': 'The registry has locked the domain against transfer to another registrar.',
    'server update prohibited': 'The registry has locked the domain against changes.',
    'server renew prohibited': 'The registry will not renew the domain.',
    'server hold': 'The registry has taken the domain out of the DNS, so it does not resolve.',
    'pending create': 'A request to create the domain is being processed.',
    'pending delete': 'The domain is about to be deleted and released for registration again.',
    'pending renew': 'A request to renew the domain is being processed.',
    'pending restore': 'The registrar has asked to restore the deleted domain; the restore is being completed.',
    'pending transfer': 'A transfer to another registrar has been requested and is being processed.',
    'pending update': 'A request to change the domain is being processed.',
    'add period': 'Newly registered: if the registrar deletes it within this grace period, the fee is refunded.',
    'auto renew period': 'Renewed automatically on expiry; the registrar can still cancel the renewal for a refund.',
    'renew period': 'Recently renewed; the registrar can still cancel the renewal for a refund.',
    'transfer period': 'Recently transferred to a new registrar.',
    'redemption period': 'Deleted by the registrar, but the registrar can still restore it for the holder before it is released.',
  };
  const LOCK = ['server delete prohibited', 'server transfer prohibited', 'server update prohibited'];
  const EVENT_LABELS = [
    ['registration', 'Registered'], ['expiration', 'Expires'], ['last changed', 'Last changed'],
    ['transfer', 'Last transferred'], ['last update of RDAP database', 'Database last updated'],
  ];
  const DNSSEC_ALGORITHMS = { 5: 'RSA/SHA-1', 7: 'RSA/SHA-1', 8: 'RSA/SHA-256', 10: 'RSA/SHA-512',
    13: 'ECDSA P-256/SHA-256', 14: 'ECDSA P-384/SHA-384', 15: 'Ed25519', 16: 'Ed448' };
  const DIGEST_TYPES = { 1: 'SHA-1', 2: 'SHA-256', 4: 'SHA-384' };
  // RFC 9537 names are "<Role> <Field>" or "Registry <Role> ID" (ICANN RP Appendix E).
  const ROLE_WORDS = { registrant: 'registrant', tech: 'technical', technical: 'technical',
    admin: 'administrative', administrative: 'administrative', billing: 'billing' };
  const FIELD_ALIASES = { organisation: 'organization', 'country code': 'country',
    state: 'state/province', province: 'state/province', 'phone extension': 'phone ext',
    'fax extension': 'fax ext' };
  // Contact rows in display order: [redaction field key, label, value getter].
  const CONTACT_FIELDS = [
    ['id', 'Registry ID', (c) => c.handle],
    ['organization', 'Organisation', (c) => c.card.org],
    ['name', 'Name', (c) => c.card.fn],
    ['street', 'Street', (c) => c.card.street],
    ['city', 'City', (c) => c.card.city],
    ['state/province', 'State/province', (c) => c.card.region],
    ['postal code', 'Postal code', (c) => c.card.postalCode],
    ['country', 'Country code', (c) => c.card.cc || c.card.country],
    ['phone', 'Phone', (c) => telValue(firstTel(c.card, 'voice'))],
    ['phone ext', 'Phone extension', () => ''], // shown within Phone unless redacted
    ['fax', 'Fax', (c) => telValue(firstTel(c.card, 'fax'))],
    ['fax ext', 'Fax extension', () => ''],
    ['email', 'Email', (c) => c.card.emails.map(emailValue)],
  ];

  const arr = (v) => (Array.isArray(v) ? v : []);
  const text = (v) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

  // Only these schemes may become link targets: RDAP links are untrusted.
  function safeHttp(url) {
    const s = text(url);
    return /^https?:\/\/[^\s]+$/i.test(s) ? s : '';
  }
  function emailValue(email) {
    const s = text(email);
    return /^[^\s@?&#]+@[^\s@?&#]+$/.test(s) ? { text: s, href: 'mailto:' + s } : s;
  }
  function telValue(tel) {
    if (!tel) return '';
    const shown = tel.number + (tel.ext ? ' ext. ' + tel.ext : '');
    const digits = tel.number.replace(/[^+0-9.-]/g, '');
    return digits ? { text: shown, href: 'tel:' + digits + (tel.ext ? ';ext=' + tel.ext : '') } : shown;
  }

  /** The query type, as the brief defines it: digits → registrar, ≥3 labels under .coop → host. */
  function classifyQuery(raw) {
    const q = text(raw).replace(/\.$/, '');
    if (!q) return null;
    if (/^\d+$/.test(q)) return { kind: 'entity', query: q, path: 'entity/' + encodeURIComponent(q) };
    const labels = q.split('.');
    const kind = labels.length >= 3 && labels[labels.length - 1].toLowerCase() === 'coop' ? 'nameserver' : 'domain';
    return { kind, query: q, path: kind + '/' + encodeURIComponent(q) };
  }

  function formatDate(iso) {
    const d = new Date(iso);
    if (typeof iso !== 'string' || Number.isNaN(d.getTime())) return text(iso);
    return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }

  /** Flatten a jCard (RFC 7095) into the few members the page shows. */
  function vcard(entity) {
    const card = { fn: '', org: '', street: [], city: '', region: '', postalCode: '', cc: '',
      country: '', tels: [], emails: [], urls: [] };
    const props = entity && Array.isArray(entity.vcardArray) ? arr(entity.vcardArray[1]) : [];
    for (const prop of props) {
      if (!Array.isArray(prop) || prop.length < 4) continue;
      const params = prop[1] && typeof prop[1] === 'object' ? prop[1] : {};
      const value = prop[3];
      switch (text(prop[0]).toLowerCase()) {
        case 'fn': card.fn = text(value); break;
        case 'org': card.org = Array.isArray(value) ? value.map(text).filter(Boolean).join(', ') : text(value); break;
        case 'adr': {
          const a = arr(value);
          // The street member may be one string or a list of lines (RFC 7095 §3.3.1.3).
          card.street = (Array.isArray(a[2]) ? a[2] : [a[2]]).map(text).filter(Boolean);
          card.city = text(a[3]); card.region = text(a[4]); card.postalCode = text(a[5]);
          card.country = text(a[6]); card.cc = text(params.cc).toUpperCase();
          break;
        }
        case 'tel': {
          const types = [].concat(params.type || []).map((t) => text(t).toLowerCase());
          const m = /^(?:tel:)?([^;]*)(?:.*;ext=([^;]*))?/i.exec(text(value));
          if (m && m[1]) card.tels.push({ types, number: m[1], ext: (m[2] || '').replace(/[^0-9]/g, '') });
          break;
        }
        case 'email': if (text(value)) card.emails.push(text(value)); break;
        case 'url': if (safeHttp(value)) card.urls.push(safeHttp(value)); break;
        default: break;
      }
    }
    return card;
  }
  function firstTel(card, type) {
    // A tel with no type is a voice number; a fax always says so.
    return card.tels.find((t) => (type === 'fax' ? t.types.includes('fax')
      : !t.types.includes('fax'))) || null;
  }
  const findRole = (entities, role) => arr(entities).find((e) => e && arr(e.roles).includes(role)) || null;

  /** RFC 9537 entries grouped by contact role: { registrant: [{field, name, reason, method}], ... }. */
  function redactionsByRole(redacted) {
    const byRole = {};
    for (const r of arr(redacted)) {
      if (!r || typeof r !== 'object') continue;
      const name = text(r.name && r.name.type) || text(r.name && r.name.description);
      const m = /^registry (\w+) id$/i.exec(name) || /^(\w+) (.+)$/i.exec(name);
      const role = m ? ROLE_WORDS[m[1].toLowerCase()] : undefined;
      let field = m && m[2] ? m[2].toLowerCase() : 'id';
      field = FIELD_ALIASES[field] || field;
      const entry = { field: role ? field : name.toLowerCase(), name: name || 'Unnamed field',
        reason: text(r.reason && (r.reason.description || r.reason.type)), method: text(r.method) };
      (byRole[role || 'other'] = byRole[role || 'other'] || []).push(entry);
    }
    return byRole;
  }

  function toValues(v) {
    return [].concat(v).filter((x) => x && (typeof x !== 'object' || x.text));
  }

  /** Rows for a contact (or a registrar's own vCard): every redaction of the role gets a row. */
  function contactRows(entity, redactions, skip) {
    const contact = { handle: text(entity && entity.handle), card: vcard(entity) };
    const pending = arr(redactions).slice();
    const rows = [];
    for (const [key, label, get] of CONTACT_FIELDS) {
      if (skip && skip.includes(key)) continue;
      const marks = pending.filter((r) => r.field === key);
      const values = toValues(get(contact));
      if (!marks.length && !values.length) continue;
      // A "replacementValue" redaction may carry a stand-in value; otherwise show none.
      const shown = marks.length && !marks.some((r) => r.method === 'replacementValue') ? [] : values;
      rows.push({ label, values: shown, redacted: marks });
      for (const r of marks) pending.splice(pending.indexOf(r), 1);
    }
    for (const r of pending) rows.push({ label: r.name, values: [], redacted: [r] });
    return rows;
  }

  function registrarOf(object) {
    const e = findRole(object && object.entities, 'registrar');
    if (!e) return null;
    const card = vcard(e);
    const iana = arr(e.publicIds).find((p) => p && /iana/i.test(text(p.type)));
    const about = arr(e.links).find((l) => l && l.rel === 'about');
    const abuse = vcard(findRole(e.entities, 'abuse'));
    return { entity: e, name: card.fn || text(e.handle) || 'Unknown registrar',
      ianaId: text(iana ? iana.identifier : e.handle),
      website: safeHttp(about && about.href) || card.urls[0] || '',
      abuseEmail: abuse.emails[0] || '', abusePhone: firstTel(abuse, 'voice') };
  }
  function registrarRows(reg) {
    if (!reg) return [{ label: 'Registrar', values: ['Not published'] }];
    const id = reg.ianaId;
    return [
      { label: 'Name', values: [reg.name] },
      { label: 'IANA ID', values: toValues(/^\d+$/.test(id) ? { text: id, href: '?q=' + id, internal: true } : id) },
      { label: 'Website', values: toValues(reg.website && { text: reg.website, href: reg.website }) },
      { label: 'Abuse contact email', values: toValues(emailValue(reg.abuseEmail)) },
      { label: 'Abuse contact phone', values: toValues(telValue(reg.abusePhone)) },
    ].filter((row) => row.values.length);
  }

  function dateRows(events) {
    const rows = [];
    for (const [action, label] of EVENT_LABELS) {
      const ev = arr(events).find((e) => e && e.eventAction === action);
      if (ev && text(ev.eventDate)) rows.push({ label, values: [{ text: formatDate(ev.eventDate), datetime: text(ev.eventDate) }] });
    }
    return rows;
  }

  function statusRows(statuses) {
    return arr(statuses).map(text).filter(Boolean).map((s) => ({
      label: s, values: [STATUS_TEXT[s.toLowerCase()] || 'See the registry or registrar for what this status means.'] }));
  }
  function isRegistryLocked(statuses) {
    const set = arr(statuses).map((s) => text(s).toLowerCase());
    return LOCK.every((s) => set.includes(s));
  }

  function hostRows(nameservers) {
    return arr(nameservers).filter((ns) => ns && (ns.ldhName || ns.unicodeName)).map((ns) => {
      const name = text(ns.unicodeName) || text(ns.ldhName);
      const q = classifyQuery(ns.ldhName || name);
      const ips = ipList(ns.ipAddresses);
      return { label: name, labelHref: q && q.kind === 'nameserver' ? '?q=' + encodeURIComponent(q.query) : '',
        // Only hosts inside .coop need their addresses (glue) in the registry.
        values: ips.length ? ips : [/\.coop$/i.test(name) ? 'No IP addresses published' : 'None needed (host outside .coop)'] };
    });
  }
  function ipList(ipAddresses) {
    const ip = ipAddresses && typeof ipAddresses === 'object' ? ipAddresses : {};
    return arr(ip.v4).concat(arr(ip.v6)).map(text).filter(Boolean);
  }

  function dnssecRows(secure) {
    if (!secure || typeof secure !== 'object') return [{ label: 'DNSSEC', values: ['No DNSSEC information published'] }];
    if (secure.delegationSigned !== true) return [{ label: 'DNSSEC', values: ['Not signed'] }];
    const algo = (n) => n + (DNSSEC_ALGORITHMS[n] ? ' (' + DNSSEC_ALGORITHMS[n] + ')' : '');
    const ds = arr(secure.dsData).filter(Boolean).map((d) => 'Key tag ' + text(d.keyTag) + ', algorithm '
      + algo(text(d.algorithm)) + ', digest type ' + text(d.digestType)
      + (DIGEST_TYPES[d.digestType] ? ' (' + DIGEST_TYPES[d.digestType] + ')' : ''));
    const keys = arr(secure.keyData).filter(Boolean).map((k) => 'Key with flags ' + text(k.flags)
      + ', algorithm ' + algo(text(k.algorithm)));
    const rows = [{ label: 'DNSSEC', values: ['Signed (DS records published)'] }];
    if (ds.length) rows.push({ label: 'DS records', values: ds, list: true });
    if (keys.length) rows.push({ label: 'Keys', values: keys, list: true });
    return rows;
  }

  function termsLink(body) {
    for (const n of arr(body && body.notices)) {
      const link = arr(n && n.links).find((l) => l && l.rel === 'terms-of-service');
      if (link && safeHttp(link.href)) return safeHttp(link.href);
    }
    return '';
  }

  /** The whole page view for one RDAP object. */
  function buildView(body) {
    const b = body && typeof body === 'object' ? body : {};
    const cls = text(b.objectClassName);
    const reg = registrarOf(b);
    const title = text(b.unicodeName) || text(b.ldhName) || (cls === 'entity' ? vcard(b).fn || text(b.handle) : '');
    const aLabel = text(b.unicodeName) && text(b.ldhName) && b.unicodeName !== b.ldhName ? text(b.ldhName) : '';
    const view = { kind: cls || 'unknown', title: title || 'Result', aLabel, sections: [],
      registrar: reg, terms: termsLink(b), redactionCount: 0, quota: false };
    const add = (id, heading, rows, extra) => {
      if (rows.length || extra) view.sections.push(Object.assign({ id, heading, rows }, extra));
    };
    const statusExtra = isRegistryLocked(b.status) ? { note: 'This domain is locked by the registry: it cannot be'
      + ' changed, transferred or deleted, as happens while a UDRP dispute about it is decided.' } : undefined;
    if (cls === 'entity') {
      const me = registrarOf({ entities: [b] }) || { name: title, ianaId: text(b.handle) };
      const own = registrarRows(me).map((r) => (r.label === 'IANA ID' ? { label: r.label, values: [me.ianaId] } : r));
      add('registrar', 'Registrar', [...own.slice(0, 2), ...contactRows(b, [], ['id', 'name', 'organization']), ...own.slice(2)]);
      add('status', 'Status', statusRows(b.status));
      add('dates', 'Important dates', dateRows(b.events));
    } else if (cls === 'nameserver') {
      add('nameserver', 'Nameserver', [{ label: 'Host name', values: [text(b.ldhName)] },
        { label: 'IP addresses', values: ipList(b.ipAddresses).length ? ipList(b.ipAddresses) : ['None published'] }]);
      add('status', 'Status', statusRows(b.status));
      add('registrar', 'Registrar', reg ? registrarRows(reg) : []);
      add('dates', 'Important dates', dateRows(b.events));
    } else {
      const redactions = redactionsByRole(b.redacted);
      add('registrar', 'Registrar', registrarRows(reg));
      add('dates', 'Important dates', dateRows(b.events));
      add('status', 'Status', statusRows(b.status), statusExtra);
      add('nameservers', 'Nameservers', hostRows(b.nameservers));
      add('dnssec', 'DNSSEC', dnssecRows(b.secureDNS));
      for (const [role, heading] of [['registrant', 'Registrant'], ['technical', 'Technical contact']]) {
        const entity = findRole(b.entities, role);
        const rows = contactRows(entity, redactions[role]);
        add(role, heading, rows.length ? rows : [{ label: heading, values: ['Not published'] }]);
      }
      if (redactions.other) add('other-redactions', 'Other redacted data', contactRows(null, redactions.other));
      const all = Object.values(redactions).flat();
      view.redactionCount = all.length;
      view.quota = all.some((r) => /quota/i.test(r.reason));
    }
    return view;
  }

  function parseRetryAfter(header, now) {
    const s = text(header);
    if (/^\d+$/.test(s)) return Number(s);
    const when = Date.parse(s); // RFC 9110 also allows an HTTP-date
    return Number.isNaN(when) ? null : Math.max(1, Math.ceil((when - now) / 1000));
  }

  /** What to tell a person about a failed lookup: { state, title, text, detail }. */
  function describeError(status, body, retryAfter, kind, query, now) {
    const desc = arr(body && body.description).map(text).filter(Boolean).join(' ');
    if (status === 404) {
      if (/reserved/i.test(desc)) {
        return { state: 'reserved', title: 'Reserved name', text: query + ' is not registered: it is reserved by'
          + ' the .coop sponsor, a generic word held back for cooperatives.' };
      }
      const msg = { entity: 'No registrar with this IANA ID is accredited in .coop.',
        nameserver: 'No nameserver by this name is registered in .coop.' }[kind] || 'No .coop domain by this name is registered.';
      // Repeat the server's words only when they add something ("only names under .coop").
      return { state: 'not-found', title: 'Not registered', text: msg, detail: /^no /i.test(desc) ? '' : desc };
    }
    if (status === 400) {
      return { state: 'invalid', title: 'Not a valid query', text: '“' + query + '” is not a valid .coop domain name,'
        + ' nameserver name or registrar IANA ID.', detail: desc };
    }
    if (status === 429) {
      const secs = parseRetryAfter(retryAfter, now);
      const wait = secs === null ? 'a little while' : secs + (secs === 1 ? ' second' : ' seconds');
      return { state: 'rate-limited', title: 'Too many lookups',
        text: 'Too many lookups from your network; please wait ' + wait + ' and try again.' };
    }
    if (status === 503) {
      return { state: 'unavailable', title: 'Temporarily unavailable',
        text: 'The lookup service is temporarily unavailable. Please try again in a few minutes.' };
    }
    return { state: 'error', title: 'Lookup failed', text: 'The lookup failed (HTTP status ' + status + ').', detail: desc };
  }

  return { classifyQuery, formatDate, vcard, redactionsByRole, contactRows, registrarOf, buildView,
    describeError, parseRetryAfter, isRegistryLocked, STATUS_TEXT };
})();

if (typeof module === 'object' && module.exports) module.exports = Rdap; // for node checks

if (typeof document !== 'undefined') {
  (() => {
    const BASE_TITLE = '.coop registration data lookup';
    const app = document.getElementById('app');
    const form = document.getElementById('lookup-form');
    const input = document.getElementById('q');
    const result = document.getElementById('result');
    const message = document.getElementById('message');
    let current = null; // the AbortController of the lookup in flight

    /** createElement with attributes and children; strings become text nodes, never HTML. */
    function el(tag, attrs, ...children) {
      const node = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null && v !== '') node.setAttribute(k, v);
      for (const c of children.flat()) if (c !== null && c !== undefined && c !== '') node.append(c);
      return node;
    }
    function valueNode(v) {
      if (typeof v === 'string') return v;
      if (v.datetime) return el('time', { datetime: v.datetime }, v.text);
      if (v.href) return el('a', { href: v.href, class: v.internal ? 'q-link' : null }, v.text);
      return v.text;
    }
    function redactedMark(r) {
      // Text, not colour, says "Redacted"; the title repeats it with the reason for pointer users.
      return el('span', { class: 'redacted', title: 'Redacted' + (r.reason ? ': ' + r.reason : '') },
        'Redacted', r.reason ? el('span', { class: 'why' }, ' (' + r.reason + ')') : null);
    }
    function rowsList(rows) {
      const dl = el('dl');
      for (const row of rows) {
        const label = row.labelHref ? el('a', { href: row.labelHref, class: 'q-link' }, row.label) : row.label;
        const dd = el('dd');
        const values = row.values.map(valueNode);
        if (row.list && values.length) dd.append(el('ul', null, values.map((v) => el('li', null, v))));
        else values.forEach((v) => dd.append(el('span', { class: 'line' }, v)));
        (row.redacted || []).forEach((r) => dd.append(redactedMark(r)));
        dl.append(el('dt', null, label), dd);
      }
      return dl;
    }
    function disclosureHelp(view) {
      const reg = view.registrar;
      const who = reg ? (reg.website ? el('a', { href: reg.website }, reg.name) : reg.name) : 'the registrar';
      return el('aside', { id: 'disclosure-help', class: 'help-box', 'aria-labelledby': 'disclosure-heading' },
        el('h2', { id: 'disclosure-heading' }, 'Why some data is marked “Redacted”'),
        el('p', null, 'Personal data of domain holders and their contacts is withheld from public lookups under the'
          + ' ICANN Registration Data Policy. A field marked “Redacted” exists in the registry but is not shown to you.'),
        view.quota ? el('p', null, 'Some fields were withheld because lookups from your network reached the daily'
          + ' limit for personal data; try again on a later day.') : null,
        el('p', null, 'To ask for the data to be disclosed, contact the sponsoring registrar, ', who,
          ', which decides on disclosure requests.'),
        el('p', null, 'UDRP dispute-resolution providers and law enforcement authorities can obtain accredited'
          + ' access from the .coop registry.'));
    }

    function render(view, rawUrl) {
      const heading = el('h2', { id: 'result-heading', tabindex: '-1' }, view.title);
      const parts = [el('div', { class: 'result-head' }, heading,
        view.aLabel ? el('p', { class: 'a-label' }, 'ASCII form (A-label): ', el('span', { lang: 'und' }, view.aLabel)) : null,
        el('p', { class: 'raw' }, el('a', { id: 'raw-link', href: rawUrl, type: 'application/rdap+json' },
          'View the raw RDAP response (JSON)')))];
      for (const s of view.sections) {
        parts.push(el('section', { id: 'section-' + s.id, class: 'card', 'aria-labelledby': 'h-' + s.id },
          el('h2', { id: 'h-' + s.id }, s.heading),
          s.note ? el('p', { id: 'registry-lock', class: 'lock-note' }, s.note) : null, rowsList(s.rows)));
      }
      if (view.redactionCount) parts.push(disclosureHelp(view));
      result.setAttribute('aria-labelledby', 'result-heading');
      result.replaceChildren(...parts);
      if (view.terms) document.getElementById('terms-link').setAttribute('href', view.terms);
    }

    function showMessage(info) {
      message.replaceChildren(el('h2', null, info.title), el('p', null, info.text));
      if (info.detail) message.append(el('p', { class: 'detail' }, 'The registry says: ' + info.detail));
      message.hidden = false;
      input.setAttribute('aria-invalid', info.state === 'invalid' ? 'true' : 'false');
    }

    function setState(state) { app.setAttribute('data-state', state); }

    async function lookup(raw, moveFocus) {
      const query = Rdap.classifyQuery(raw);
      if (current) current.abort(); // a newer query supersedes any lookup still running
      message.hidden = true; message.replaceChildren(); result.replaceChildren(); result.removeAttribute('aria-labelledby');
      input.removeAttribute('aria-invalid');
      if (!query) { setState('idle'); document.title = BASE_TITLE; return; }
      const mine = new AbortController();
      current = mine;
      setState('loading');
      document.title = query.query + ' – ' + BASE_TITLE;
      result.setAttribute('aria-busy', 'true');
      result.append(el('p', { class: 'loading' }, 'Looking up ' + query.query + '…'));
      // Relative to the page, so the service may live under a path prefix.
      const url = new URL(query.path, location.href.split(/[?#]/)[0]);
      let response;
      let body = null;
      try {
        response = await fetch(url, { headers: { Accept: 'application/rdap+json' }, signal: mine.signal });
        body = await response.json().catch(() => null); // a proxy's HTML error page is not JSON
      } catch {
        if (mine.signal.aborted) return;
        response = null;
      }
      if (current !== mine) return;
      current = null;
      result.removeAttribute('aria-busy');
      result.replaceChildren();
      if (response && response.ok && body && typeof body === 'object') {
        const view = Rdap.buildView(body);
        render(view, url.href);
        document.title = view.title + ' – ' + BASE_TITLE;
        setState('found');
        if (moveFocus) document.getElementById('result-heading').focus();
        return;
      }
      const info = response
        ? Rdap.describeError(response.status, body, response.headers.get('Retry-After'), query.kind, query.query, Date.now())
        : { state: 'error', title: 'Service not reachable', text: 'The lookup service could not be reached.'
            + ' Please check your Internet connection and try again.' };
      showMessage(info);
      setState(info.state);
    }

    function queryFromLocation() { return new URLSearchParams(location.search).get('q') || ''; }

    function go(q) {
      // Each lookup gets its own URL, so results can be bookmarked, shared and reached with Back.
      if (q !== queryFromLocation()) history.pushState({ q }, '', '?q=' + encodeURIComponent(q));
      input.value = q;
      lookup(q, true);
    }

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      go(input.value.trim());
    });
    // Links to other lookups (registrar ID, nameservers) stay on the page without a reload.
    result.addEventListener('click', (event) => {
      const link = event.target.closest && event.target.closest('a.q-link');
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      go(new URL(link.href).searchParams.get('q') || '');
    });
    window.addEventListener('popstate', () => {
      input.value = queryFromLocation();
      lookup(input.value, true);
    });

    const initial = queryFromLocation();
    if (initial) {
      input.value = initial;
      lookup(initial, true);
    }
  })();
}
