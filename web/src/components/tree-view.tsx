// An expandable tree (WAI-ARIA tree pattern): a branch opens and closes with a click, Enter or Space,
// or the right and left arrow keys; up and down move between the visible items.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

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

function moveFocus(event: KeyboardEvent, step: number): void {
  const here = event.currentTarget as HTMLElement;
  const tree = here.closest<HTMLElement>('[role="tree"]');
  if (tree === null) return;
  const items = visibleItems(tree);
  const next = items[items.indexOf(here) + step];
  if (next !== undefined) {
    event.preventDefault();
    next.focus();
  }
}

function Node(props: { item: TreeItem; level: number; open: Set<string>; toggle: (key: string) => void }) {
  const { item, level, open, toggle } = props;
  const expandable = item.children.length > 0 || item.detail !== undefined;
  const expanded = open.has(item.key);
  const onKey = (e: KeyboardEvent) => {
    if (e.target !== e.currentTarget) return;
    if (e.key === 'ArrowDown') moveFocus(e, 1);
    else if (e.key === 'ArrowUp') moveFocus(e, -1);
    else if ((e.key === 'Enter' || e.key === ' ') && expandable) {
      e.preventDefault();
      toggle(item.key);
    } else if (e.key === 'ArrowRight' && expandable && !expanded) toggle(item.key);
    else if (e.key === 'ArrowLeft' && expanded) toggle(item.key);
  };
  return (
    <li
      role="treeitem"
      tabIndex={0}
      aria-level={level}
      aria-expanded={expandable ? expanded : undefined}
      data-key={item.key}
      onKeyDown={onKey}
    >
      <div
        class="tree-row"
        onClick={(e) => {
          e.stopPropagation();
          if (expandable) toggle(item.key);
        }}
      >
        <span class="tree-twisty" aria-hidden="true">
          {expandable ? (expanded ? '▾' : '▸') : '·'}
        </span>
        {item.label}
      </div>
      {expanded && item.detail !== undefined ? <div class="tree-detail">{item.detail}</div> : null}
      {expanded && item.children.length > 0 ? (
        <ul role="group">
          {item.children.map((c) => (
            <Node key={c.key} item={c} level={level + 1} open={open} toggle={toggle} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/** The tree; the roots start expanded, their branches closed. */
export function TreeView(props: { label: string; roots: readonly TreeItem[] }) {
  const [open, setOpen] = useState(() => new Set(props.roots.map((r) => r.key)));
  const toggle = (key: string) =>
    setOpen((was) => {
      const next = new Set(was);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  return (
    <ul role="tree" aria-label={props.label} class="tree">
      {props.roots.map((r) => (
        <Node key={r.key} item={r} level={1} open={open} toggle={toggle} />
      ))}
    </ul>
  );
}
