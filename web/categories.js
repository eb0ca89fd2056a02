// categories.js — driver categories: one colour and one label each, defined here once and
// used by every table badge and chart (findings, drivers, and any panel that colours by
// category). Names match the API (kb/drivers.csv categories plus etlscope's own).
'use strict';

const categories = {
  // name → [label, colour]; security kinds are warm, infrastructure cool, Microsoft grey.
  table: {
    'edr': ['EDR', '#b91c1c'],
    'antivirus': ['Antivirus', '#dc2626'],
    'security-other': ['Other security', '#ea580c'],
    'activity-monitor': ['Activity monitor', '#d97706'],
    'network-filter': ['Network filter', '#ca8a04'],
    'encryption': ['Encryption', '#7c3aed'],
    'backup': ['Backup', '#9333ea'],
    'nic': ['NIC', '#0369a1'],
    'nic-teaming': ['NIC teaming', '#0891b2'],
    'storage': ['Storage', '#0f766e'],
    'virtualization': ['Virtualization', '#4f46e5'],
    'graphics': ['Graphics', '#15803d'],
    'other': ['Other', '#78716c'],
    'several-vendors': ['Several vendors', '#a16207'],
    'unknown-third-party': ['Unknown third party', '#be185d'],
    'outside-modules': ['Outside any module', '#111827'],
    'microsoft-inbox': ['Microsoft in-box', '#9ca3af'],
    'user-mode': ['User mode', '#cbd5e1'],
  },
  label(name) { return (categories.table[name] || [name || 'Other'])[0]; },
  color(name, alpha) {
    const hex = (categories.table[name] || [null, '#78716c'])[1];
    if (alpha === undefined) return hex;
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  },
  // Text colour that reads on the category colour.
  ink(name) { return ['microsoft-inbox', 'user-mode'].includes(name) ? '#111827' : '#ffffff'; },
  badge(name) {
    const b = es.el('span', { class: 'badge cat', title: categories.label(name) }, categories.label(name));
    b.style.background = categories.color(name);
    b.style.color = categories.ink(name);
    return b;
  },
};
