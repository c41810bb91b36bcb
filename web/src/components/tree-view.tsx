// An expandable tree (WAI-ARIA tree pattern): one tab stop for the whole tree (a roving tabindex: the
// item last focused is the one Tab reaches), a branch opens and closes with a click, Enter or Space, or
// the right and left arrow keys; up and down move between the visible items, Home and End to the first
// and last, and left on a closed item to its parent. Each item is named by its own line only (its label,
// `aria-labelledby`); its detail, once expanded, is its description (`aria-describedby`), so that the
// name does not read out the detail and every descendant.
import type { ComponentChildren } from 'preact';
import { useId, useMemo, useState } from 'preact/hooks';

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
    }
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
  };
  return (
    <ul role="tree" aria-label={props.label} class="tree">
      {props.roots.map((r) => (
        <Node key={r.key} item={r} level={1} shared={shared} />
      ))}
    </ul>
  );
}
