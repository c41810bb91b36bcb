// The fractal tree of a risk profile: each meta level with its method (and the one requested, if a
// fallback replaced it) and its children's weights; atomic sleeves are the leaves. A level's `bounds` are
// the box of its own optimisation, so they bound its children: each node shows its parent's box as its
// own bounds, and a level's box as "children within".
import { Fragment } from 'preact';
import type { TreeNode } from '../../../src/serve/api-types.js';
import { legible, pct } from '../format.js';
import { runHref } from '../route.js';
import { TreeView, type TreeItem } from './tree-view.js';

type Bounds = NonNullable<TreeNode['bounds']>;

const range = (b: Bounds, digits: number) => `${pct(b.min_weight, digits)} – ${pct(b.max_weight, digits)}`;

function detail(node: TreeNode, own: Bounds | null) {
  return (
    <dl class="facts" data-detail={node.path}>
      <dt>Kind</dt>
      <dd>{node.kind}</dd>
      <dt>Profile</dt>
      <dd>{legible(node.profile)}</dd>
      <dt>Weight in parent</dt>
      <dd>{pct(node.weight)}</dd>
      <dt>Effective weight</dt>
      <dd>{pct(node.effective_weight)}</dd>
      {node.method === null ? null : (
        <>
          <dt>Method</dt>
          <dd>
            {node.method}
            {node.requested_method !== null && node.requested_method !== node.method
              ? ` (requested ${node.requested_method})`
              : ''}
          </dd>
        </>
      )}
      {own === null ? null : (
        <>
          <dt>Bounds in parent</dt>
          <dd>{range(own, 1)}</dd>
        </>
      )}
      {node.bounds === null ? null : (
        <>
          <dt>Children within</dt>
          <dd>{range(node.bounds, 1)} each</dd>
        </>
      )}
      {node.fallbacks.map((f, k) => (
        <Fragment key={k}>
          <dt>Fallback</dt>
          <dd>
            {f.method}: <code>{f.code}</code> {legible(f.message)}
          </dd>
        </Fragment>
      ))}
      {node.omitted === null ? null : (
        <>
          <dt>Missing</dt>
          <dd>
            <code>{legible(node.omitted)}</code>
          </dd>
        </>
      )}
      {node.run_id === null ? null : (
        <>
          <dt>Sleeve run</dt>
          <dd>
            <a href={runHref(node.run_id)} class="mono">
              {node.run_id}
            </a>
          </dd>
        </>
      )}
    </dl>
  );
}

/** `own`: the box of the parent level's optimisation, which bounds this node's weight (null: the root). */
function toItem(node: TreeNode, own: Bounds | null): TreeItem {
  return {
    key: node.path === '' ? '/' : node.path,
    label: (
      <>
        {/* The spaces separate the parts in the item's accessible name (the row's gap is visual only). */}
        <strong>{legible(node.id)}</strong> <span class="num">{pct(node.weight, 1)}</span>{' '}
        {own === null ? null : (
          <span class="muted" title="this node's bounds in its parent">
            of [{pct(own.min_weight, 0)}, {pct(own.max_weight, 0)}]
          </span>
        )}{' '}
        {node.method === null ? (
          <span class="muted">atomic</span>
        ) : (
          <span class="muted">
            {node.method}
            {node.bounds === null
              ? ''
              : `, children within [${pct(node.bounds.min_weight, 0)}, ${pct(node.bounds.max_weight, 0)}]`}
          </span>
        )}
      </>
    ),
    detail: detail(node, own),
    children: node.children.map((c) => toItem(c, node.bounds)),
  };
}

export function FractalTree(props: { tree: TreeNode; label: string }) {
  return <TreeView label={props.label} roots={[toItem(props.tree, null)]} />;
}
