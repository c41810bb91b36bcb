// An expandable tree (WAI-ARIA tree pattern): one tab stop for the whole tree (a roving tabindex: the
// item last focused is the one Tab reaches), a branch opens and closes with a click, Enter or Space, or
// the right and left arrow keys; up and down move between the visible items, Home and End to the first
// and last, and left on a closed item to its parent; typing moves to the next visible item whose label
// starts with what was typed (type-ahead: characters typed within half a second add up, one character
// typed again cycles through the items it starts, a prefix no label starts begins again with the last
// character), and `*` opens the focused item's siblings. Each item is named by its own line only (its label,
// `aria-labelledby`); its detail, once expanded, is its description (`aria-describedby`), so that the
// name does not read out the detail and every descendant.
import type { ComponentChildren } from 'preact';
import { useId, useMemo, useRef, useState } from 'preact/hooks';

export interface TreeItem {
  readonly key: string;
  /** The line shown for the item. */
  readonly label: ComponentChildren;
  /** Shown under the label when the item is expanded. */
  readonly detail?: ComponentChildren;
  readonly children: readonly TreeItem[];
}

function visibleItems(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>('[role="treeitem"]')].filter((e) => e.offsetParent !== null);
}

function moveFocus(event: KeyboardEvent, to: (at: number, count: number) => number): void {
  const here = event.currentTarget as HTMLElement;
  const tree = here.closest<HTMLElement>('[role="tree"]');
  if (tree === null) return;
  const items = visibleItems(tree);
  const next = items[to(items.indexOf(here), items.length)];
  if (next !== undefined) {
    event.preventDefault();
    next.focus();
  }
}

/** What was typed into the tree lately, and when (the event's time stamp). */
interface Typed {
  text: string;
  at: number;
}

/** Characters typed within this many milliseconds of each other form one prefix. */
const TYPE_AHEAD_MS = 500;

function labelOf(item: HTMLElement): string {
  const label = item.querySelector(':scope > .tree-row > .tree-label');
  return (label?.textContent ?? '').trim().toLocaleLowerCase();
}

/**
 * Type-ahead: focus the next visible item (after the focused one, wrapping) whose label starts with the
 * characters typed so far; the same character again looks for the next item it starts.
 */
function typeAhead(event: KeyboardEvent, typed: Typed): void {
  const here = event.currentTarget as HTMLElement;
  const tree = here.closest<HTMLElement>('[role="tree"]');
  if (tree === null) return;
  event.preventDefault();
  const ch = event.key.toLocaleLowerCase();
  typed.text = event.timeStamp - typed.at > TYPE_AHEAD_MS ? ch : typed.text + ch;
  typed.at = event.timeStamp;
  const same = [...typed.text].every((c) => c === ch);
  const prefix = same ? ch : typed.text;
  const items = visibleItems(tree);
  const at = items.indexOf(here);
  const find = (text: string, from: number): HTMLElement | undefined => {
    for (let k = 0; k < items.length; k++) {
      const item = items[(from + k) % items.length] as HTMLElement;
      if (labelOf(item).startsWith(text)) return item;
    }
    return undefined;
  };
  // A new or repeated character searches from the next item; a longer prefix may stay on this one. A
  // prefix no label starts starts over with the character just typed.
  let found = find(prefix, at + (prefix.length === 1 ? 1 : 0));
  if (found === undefined && prefix.length > 1) {
    typed.text = ch;
    found = find(ch, at + 1);
  }
  found?.focus();
}

/** `*`: open every closed sibling of the focused item (and itself) that has something to show. */
function expandSiblings(event: KeyboardEvent, shared: Shared): void {
  const here = event.currentTarget as HTMLElement;
  const group = here.parentElement;
  if (group === null) return;
  event.preventDefault();
  for (const item of group.querySelectorAll<HTMLElement>(':scope > [role="treeitem"]')) {
    const key = item.dataset['key'];
    if (key !== undefined && item.getAttribute('aria-expanded') === 'false') shared.toggle(key);
  }
}

function focusParent(event: KeyboardEvent): void {
  const parent = (event.currentTarget as HTMLElement).parentElement?.closest<HTMLElement>(
    '[role="treeitem"]',
  );
  if (parent !== null && parent !== undefined) {
    event.preventDefault();
    parent.focus();
  }
}

interface Shared {
  readonly open: Set<string>;
  readonly toggle: (key: string) => void;
  /** The item Tab reaches (tabindex 0); every other item has -1. */
  readonly active: string;
  readonly setActive: (key: string) => void;
  /** The DOM id of an item's part (its label or detail), unique in the page. */
  readonly idOf: (key: string, part: 'label' | 'detail') => string;
  /** The type-ahead's state, one per tree. */
  readonly typed: Typed;
}

function Node(props: { item: TreeItem; level: number; shared: Shared }) {
  const { item, level, shared } = props;
  const expandable = item.children.length > 0 || item.detail !== undefined;
  const expanded = shared.open.has(item.key);
  const hasDetail = expanded && item.detail !== undefined;
  const onKey = (e: KeyboardEvent) => {
    if (e.target !== e.currentTarget) return;
    if (e.key === 'ArrowDown') moveFocus(e, (at) => at + 1);
    else if (e.key === 'ArrowUp') moveFocus(e, (at) => at - 1);
    else if (e.key === 'Home') moveFocus(e, () => 0);
    else if (e.key === 'End') moveFocus(e, (_at, count) => count - 1);
    else if ((e.key === 'Enter' || e.key === ' ') && expandable) {
      e.preventDefault();
      shared.toggle(item.key);
    } else if (e.key === 'ArrowRight' && expandable && !expanded) shared.toggle(item.key);
    else if (e.key === 'ArrowLeft') {
      if (expanded) shared.toggle(item.key);
      else focusParent(e);
    } else if (e.key === '*') expandSiblings(e, shared);
    else if (e.key.length === 1 && e.key !== ' ' && !e.ctrlKey && !e.metaKey && !e.altKey)
      typeAhead(e, shared.typed);
  };
  return (
    <li
      role="treeitem"
      tabIndex={shared.active === item.key ? 0 : -1}
      aria-level={level}
      aria-expanded={expandable ? expanded : undefined}
      aria-labelledby={shared.idOf(item.key, 'label')}
      aria-describedby={hasDetail ? shared.idOf(item.key, 'detail') : undefined}
      data-key={item.key}
      onKeyDown={onKey}
      onFocus={(e) => {
        if (e.target === e.currentTarget) shared.setActive(item.key);
      }}
    >
      <div
        class="tree-row"
        onClick={(e) => {
          e.stopPropagation();
          if (expandable) shared.toggle(item.key);
        }}
      >
        <span class="tree-twisty" aria-hidden="true">
          {expandable ? (expanded ? '▾' : '▸') : '·'}
        </span>
        <span class="tree-label" id={shared.idOf(item.key, 'label')}>
          {item.label}
        </span>
      </div>
      {hasDetail ? (
        <div class="tree-detail" id={shared.idOf(item.key, 'detail')}>
          {item.detail}
        </div>
      ) : null}
      {expanded && item.children.length > 0 ? (
        <ul role="group">
          {item.children.map((c) => (
            <Node key={c.key} item={c} level={level + 1} shared={shared} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/** Each item's key → its position in the tree, and its parent's key. */
function indexTree(roots: readonly TreeItem[]): Map<string, { at: number; parent: string | null }> {
  const index = new Map<string, { at: number; parent: string | null }>();
  const walk = (items: readonly TreeItem[], parent: string | null): void => {
    for (const item of items) {
      index.set(item.key, { at: index.size, parent });
      walk(item.children, item.key);
    }
  };
  walk(roots, null);
  return index;
}

/** The tree; the roots start expanded, their branches closed. */
export function TreeView(props: { label: string; roots: readonly TreeItem[] }) {
  const [open, setOpen] = useState(() => new Set(props.roots.map((r) => r.key)));
  const [active, setActive] = useState(props.roots[0]?.key ?? '');
  const prefix = useId();
  const typed = useRef<Typed>({ text: '', at: -Infinity }).current;
  const index = useMemo(() => indexTree(props.roots), [props.roots]);
  const toggle = (key: string) => {
    // Closing a branch that holds the tab stop hands it to the branch, so the tree keeps one.
    let k: string | null = active;
    while (k !== null && k !== key) k = index.get(k)?.parent ?? null;
    if (k === key && open.has(key)) setActive(key);
    setOpen((was) => {
      const next = new Set(was);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  };
  const shared: Shared = {
    open,
    toggle,
    active,
    setActive,
    idOf: (key, part) => `${prefix}-${index.get(key)?.at ?? 'x'}-${part}`,
    typed,
  };
  return (
    <ul role="tree" aria-label={props.label} class="tree">
      {props.roots.map((r) => (
        <Node key={r.key} item={r} level={1} shared={shared} />
      ))}
    </ul>
  );
}
