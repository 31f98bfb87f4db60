// Tabs after the WAI-ARIA Authoring Practices tabs pattern with automatic
// activation: Left and Right arrows move to the previous or next tab and show
// its panel, Home and End jump to the first and last tab, and only the
// selected tab is in the Tab order.

import { h } from './dom.js';

// createTabs returns {element, select(key)} for tabs given as
// [{key, label, panel}], where panel is the element shown for that tab.
// onSelect(key) runs each time a tab is shown.
export function createTabs(label, tabs, onSelect) {
  const buttons = tabs.map((tab) => h('button', {
    type: 'button',
    role: 'tab',
    id: `tab-${tab.key}`,
    'aria-controls': `panel-${tab.key}`,
    'aria-selected': 'false',
    tabindex: '-1',
    'data-key': tab.key,
  }, tab.label));
  const panels = tabs.map((tab) => {
    tab.panel.id = `panel-${tab.key}`;
    tab.panel.setAttribute('role', 'tabpanel');
    tab.panel.setAttribute('aria-labelledby', `tab-${tab.key}`);
    tab.panel.setAttribute('tabindex', '0');
    tab.panel.hidden = true;
    return tab.panel;
  });
  const list = h('div', { role: 'tablist', 'aria-label': label }, buttons);

  function select(index, focus) {
    buttons.forEach((button, i) => {
      const selected = i === index;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
      panels[i].hidden = !selected;
    });
    if (focus) buttons[index].focus();
    onSelect(tabs[index].key);
  }

  list.addEventListener('click', (e) => {
    const button = e.target.closest('[role="tab"]');
    if (button) select(buttons.indexOf(button), false);
  });
  list.addEventListener('keydown', (e) => {
    const current = buttons.indexOf(document.activeElement);
    if (current < 0) return;
    const last = buttons.length - 1;
    const moves = {
      ArrowRight: current === last ? 0 : current + 1,
      ArrowLeft: current === 0 ? last : current - 1,
      Home: 0,
      End: last,
    };
    if (!(e.key in moves)) return;
    e.preventDefault();
    select(moves[e.key], true);
  });

  select(0, false);
  return {
    element: h('div', { class: 'tabs' }, list, panels),
    select: (key) => select(tabs.findIndex((t) => t.key === key), false),
  };
}
