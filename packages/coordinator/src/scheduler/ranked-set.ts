/**
 * An ordered set of (value, index) pairs, ascending by value then index, with order statistics:
 * insert, delete, the k-th smallest and the rank of a pair in O(log n) (a treap with subtree
 * sizes). The scheduler keeps one per rung (trials ranked by their validation loss there, ties
 * by the smaller rate), so rung decisions never sort the grid.
 *
 * Deterministic: node priorities come from a fixed-seed generator (they shape the tree, never
 * the order), so the same operations build the same tree.
 */
interface Node {
  value: number;
  index: number;
  priority: number;
  size: number;
  left: Node | null;
  right: Node | null;
}

export interface Entry {
  value: number;
  index: number;
}

const less = (v1: number, i1: number, v2: number, i2: number) => v1 < v2 || (v1 === v2 && i1 < i2);
const sizeOf = (n: Node | null) => (n ? n.size : 0);

function update(n: Node): Node {
  n.size = 1 + sizeOf(n.left) + sizeOf(n.right);
  return n;
}

function merge(a: Node | null, b: Node | null): Node | null {
  if (!a) return b;
  if (!b) return a;
  if (a.priority > b.priority) {
    a.right = merge(a.right, b);
    return update(a);
  }
  b.left = merge(a, b.left);
  return update(b);
}

/** Splits into (pairs < (value, index)) and (pairs ≥ (value, index)). */
function split(n: Node | null, value: number, index: number): [Node | null, Node | null] {
  if (!n) return [null, null];
  if (less(n.value, n.index, value, index)) {
    const [l, r] = split(n.right, value, index);
    n.right = l;
    return [update(n), r];
  }
  const [l, r] = split(n.left, value, index);
  n.left = r;
  return [l, update(n)];
}

export class RankedSet {
  private root: Node | null = null;
  private seed = 0x2545f491;

  get size(): number {
    return sizeOf(this.root);
  }

  private nextPriority(): number {
    // xorshift32
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  has(value: number, index: number): boolean {
    let n = this.root;
    while (n) {
      if (n.value === value && n.index === index) return true;
      n = less(value, index, n.value, n.index) ? n.left : n.right;
    }
    return false;
  }

  /** Adds the pair (no effect if it is already there). */
  insert(value: number, index: number): void {
    if (this.has(value, index)) return;
    const [l, r] = split(this.root, value, index);
    const node: Node = { value, index, priority: this.nextPriority(), size: 1, left: null, right: null };
    this.root = merge(merge(l, node), r);
  }

  /** Removes the pair; false when it was not there. */
  delete(value: number, index: number): boolean {
    if (!this.has(value, index)) return false;
    const [l, rest] = split(this.root, value, index);
    // `rest` starts with the pair itself: drop its smallest node.
    this.root = merge(l, dropMin(rest));
    return true;
  }

  /** The pair at `position` in ascending order (0: the smallest). */
  at(position: number): Entry | undefined {
    let n = this.root;
    let k = position;
    if (k < 0 || k >= this.size) return undefined;
    while (n) {
      const left = sizeOf(n.left);
      if (k < left) n = n.left;
      else if (k === left) return { value: n.value, index: n.index };
      else {
        k -= left + 1;
        n = n.right;
      }
    }
    return undefined;
  }

  /** How many pairs are smaller than (value, index). */
  rank(value: number, index: number): number {
    let n = this.root;
    let count = 0;
    while (n) {
      if (less(n.value, n.index, value, index)) {
        count += sizeOf(n.left) + 1;
        n = n.right;
      } else {
        n = n.left;
      }
    }
    return count;
  }

  min(): Entry | undefined {
    let n = this.root;
    if (!n) return undefined;
    while (n.left) n = n.left;
    return { value: n.value, index: n.index };
  }

  max(): Entry | undefined {
    let n = this.root;
    if (!n) return undefined;
    while (n.right) n = n.right;
    return { value: n.value, index: n.index };
  }

  /** Every pair, ascending. */
  toArray(): Entry[] {
    const out: Entry[] = [];
    const stack: Node[] = [];
    let n = this.root;
    while (n || stack.length > 0) {
      while (n) {
        stack.push(n);
        n = n.left;
      }
      const top = stack.pop()!;
      out.push({ value: top.value, index: top.index });
      n = top.right;
    }
    return out;
  }
}

function dropMin(n: Node | null): Node | null {
  if (!n) return null;
  if (!n.left) return n.right;
  n.left = dropMin(n.left);
  return update(n);
}
