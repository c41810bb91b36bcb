// The fractal tree of a risk profile: each meta level with its method (and the one requested, if a
// fallback replaced it), its bounds and its children's weights; atomic sleeves are the leaves.
import { Fragment } from 'preact';
import type { TreeNode } from '../../../src/serve/api-types.js';
import { pct } from '../format.js';
import { runHref } from '../route.js';
import { TreeView, type TreeItem } from './tree-view.js';

function detail(node: TreeNode) {
  return (
    <dl class="facts" data-detail={node.path}>
      <dt>Kind</dt>
      <dd>{node.kind}</dd>
      <dt>Profile</dt>
      <dd>{node.profile ?? '–'}</dd>
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
      {node.bounds === null ? null : (
        <>
          <dt>Bounds</dt>
          <dd>
            {pct(node.bounds.min_weight, 1)} – {pct(node.bounds.max_weight, 1)}
          </dd>
        </>
      )}
      {node.fallbacks.map((f, k) => (
        <Fragment key={k}>
          <dt>Fallback</dt>
          <dd>
            {f.method}: <code>{f.code}</code> {f.message}
          </dd>
        </Fragment>
      ))}
      {node.omitted === null ? null : (
        <>
          <dt>Missing</dt>
          <dd>
            <code>{node.omitted}</code>
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

function toItem(node: TreeNode): TreeItem {
  return {
    key: node.path === '' ? '/' : node.path,
    label: (
      <>
        <strong>{node.id}</strong>
        <span class="num">{pct(node.weight, 1)}</span>
        {node.method === null ? (
          <span class="muted">atomic</span>
        ) : (
          <span class="muted">
            {node.method}
            {node.bounds === null
              ? ''
              : ` [${pct(node.bounds.min_weight, 0)}, ${pct(node.bounds.max_weight, 0)}]`}
          </span>
        )}
      </>
    ),
    detail: detail(node),
    children: node.children.map(toItem),
  };
}

export function FractalTree(props: { tree: TreeNode; label: string }) {
  return <TreeView label={props.label} roots={[toItem(props.tree)]} />;
}
