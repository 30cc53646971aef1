;; Sparse × dense products for a dense layer whose input is mostly zeros (MNIST pixels: 19%
;; non-zero). The input batch comes in CSR form: rowPtr[r] .. rowPtr[r+1] index idx (the column,
;; that is the kernel row) and val. Both products skip the zeros, so they cost nnz · n
;; multiply-adds instead of rows · k · n.
;;
;; The module imports the wasm backend's own memory: every pointer is a byte offset of a tensor
;; of @tensorflow/tfjs-backend-wasm, so nothing is copied in or out. n (the layer's units) must be
;; a multiple of 4; blocks of 32 columns keep 8 vector accumulators in registers, and a 4-column
;; loop takes the rest.
;;
;; Source of sparse-dense-wasm.ts (generated: `pnpm --filter @lrsweep/worker gen:wasm`).
(module
  (import "env" "memory" (memory 0))

  ;; out[r, :] = bias + Σ_j val[j] · w[idx[j], :] over j in rowPtr[r] .. rowPtr[r+1]-1,
  ;; then max(·, 0) when relu is non-zero (NaN stays NaN). out is rows × n, w is k × n.
  (func (export "spmm")
    (param $rowPtr i32) (param $idx i32) (param $val i32) (param $rows i32)
    (param $w i32) (param $bias i32) (param $n i32) (param $out i32) (param $relu i32)
    (local $rowBytes i32) (local $r i32) (local $c i32) (local $j i32) (local $end i32)
    (local $p i32) (local $o i32) (local $v v128) (local $zero v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $zero (f32x4.splat (f32.const 0)))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $o (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $rowBytes))))
        (local.set $c (i32.const 0))
        ;; 32 columns (128 bytes) at a time.
        (block $wideDone
          (loop $wideLoop
            (br_if $wideDone (i32.gt_u (i32.add (local.get $c) (i32.const 128)) (local.get $rowBytes)))
            (local.set $p (i32.add (local.get $bias) (local.get $c)))
            (local.set $a0 (v128.load offset=0 (local.get $p)))
            (local.set $a1 (v128.load offset=16 (local.get $p)))
            (local.set $a2 (v128.load offset=32 (local.get $p)))
            (local.set $a3 (v128.load offset=48 (local.get $p)))
            (local.set $a4 (v128.load offset=64 (local.get $p)))
            (local.set $a5 (v128.load offset=80 (local.get $p)))
            (local.set $a6 (v128.load offset=96 (local.get $p)))
            (local.set $a7 (v128.load offset=112 (local.get $p)))
            (local.set $j (i32.load (i32.add (local.get $rowPtr) (i32.shl (local.get $r) (i32.const 2)))))
            (local.set $end (i32.load offset=4 (i32.add (local.get $rowPtr) (i32.shl (local.get $r) (i32.const 2)))))
            (block $nzDone
              (loop $nzLoop
                (br_if $nzDone (i32.ge_s (local.get $j) (local.get $end)))
                (local.set $v (f32x4.splat (f32.load (i32.add (local.get $val) (i32.shl (local.get $j) (i32.const 2))))))
                (local.set $p
                  (i32.add
                    (i32.add (local.get $w) (local.get $c))
                    (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2)))) (local.get $rowBytes))))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $p)))))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $p)))))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $p)))))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $p)))))
                (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $v) (v128.load offset=64 (local.get $p)))))
                (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $v) (v128.load offset=80 (local.get $p)))))
                (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $v) (v128.load offset=96 (local.get $p)))))
                (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $v) (v128.load offset=112 (local.get $p)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $nzLoop)))
            (if (local.get $relu)
              (then
                (local.set $a0 (f32x4.max (local.get $a0) (local.get $zero)))
                (local.set $a1 (f32x4.max (local.get $a1) (local.get $zero)))
                (local.set $a2 (f32x4.max (local.get $a2) (local.get $zero)))
                (local.set $a3 (f32x4.max (local.get $a3) (local.get $zero)))
                (local.set $a4 (f32x4.max (local.get $a4) (local.get $zero)))
                (local.set $a5 (f32x4.max (local.get $a5) (local.get $zero)))
                (local.set $a6 (f32x4.max (local.get $a6) (local.get $zero)))
                (local.set $a7 (f32x4.max (local.get $a7) (local.get $zero)))))
            (local.set $p (i32.add (local.get $o) (local.get $c)))
            (v128.store offset=0 (local.get $p) (local.get $a0))
            (v128.store offset=16 (local.get $p) (local.get $a1))
            (v128.store offset=32 (local.get $p) (local.get $a2))
            (v128.store offset=48 (local.get $p) (local.get $a3))
            (v128.store offset=64 (local.get $p) (local.get $a4))
            (v128.store offset=80 (local.get $p) (local.get $a5))
            (v128.store offset=96 (local.get $p) (local.get $a6))
            (v128.store offset=112 (local.get $p) (local.get $a7))
            (local.set $c (i32.add (local.get $c) (i32.const 128)))
            (br $wideLoop)))
        ;; The remaining columns, 4 at a time.
        (block $narrowDone
          (loop $narrowLoop
            (br_if $narrowDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
            (local.set $a0 (v128.load (i32.add (local.get $bias) (local.get $c))))
            (local.set $j (i32.load (i32.add (local.get $rowPtr) (i32.shl (local.get $r) (i32.const 2)))))
            (local.set $end (i32.load offset=4 (i32.add (local.get $rowPtr) (i32.shl (local.get $r) (i32.const 2)))))
            (block $nzDone4
              (loop $nzLoop4
                (br_if $nzDone4 (i32.ge_s (local.get $j) (local.get $end)))
                (local.set $p
                  (i32.add
                    (i32.add (local.get $w) (local.get $c))
                    (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2)))) (local.get $rowBytes))))
                (local.set $a0
                  (f32x4.add (local.get $a0)
                    (f32x4.mul
                      (f32x4.splat (f32.load (i32.add (local.get $val) (i32.shl (local.get $j) (i32.const 2)))))
                      (v128.load (local.get $p)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $nzLoop4)))
            (if (local.get $relu)
              (then (local.set $a0 (f32x4.max (local.get $a0) (local.get $zero)))))
            (v128.store (i32.add (local.get $o) (local.get $c)) (local.get $a0))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $narrowLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; dw = xᵀ · dz for the CSR x (rows × k) and dz (rows × n): dw[idx[j], :] += val[j] · dz[r, :]
  ;; for every j of row r, after zeroing dw (k × n).
  (func (export "spmmT")
    (param $rowPtr i32) (param $idx i32) (param $val i32) (param $rows i32)
    (param $dz i32) (param $n i32) (param $k i32) (param $dw i32)
    (local $rowBytes i32) (local $r i32) (local $c i32) (local $j i32) (local $end i32)
    (local $p i32) (local $q i32) (local $v v128)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local $d4 v128) (local $d5 v128) (local $d6 v128) (local $d7 v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (memory.fill (local.get $dw) (i32.const 0) (i32.mul (local.get $k) (local.get $rowBytes)))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        (block $wideDone
          (loop $wideLoop
            (br_if $wideDone (i32.gt_u (i32.add (local.get $c) (i32.const 128)) (local.get $rowBytes)))
            (local.set $q (i32.add (i32.add (local.get $dz) (i32.mul (local.get $r) (local.get $rowBytes))) (local.get $c)))
            (local.set $d0 (v128.load offset=0 (local.get $q)))
            (local.set $d1 (v128.load offset=16 (local.get $q)))
            (local.set $d2 (v128.load offset=32 (local.get $q)))
            (local.set $d3 (v128.load offset=48 (local.get $q)))
            (local.set $d4 (v128.load offset=64 (local.get $q)))
            (local.set $d5 (v128.load offset=80 (local.get $q)))
            (local.set $d6 (v128.load offset=96 (local.get $q)))
            (local.set $d7 (v128.load offset=112 (local.get $q)))
            (local.set $j (i32.load (i32.add (local.get $rowPtr) (i32.shl (local.get $r) (i32.const 2)))))
            (local.set $end (i32.load offset=4 (i32.add (local.get $rowPtr) (i32.shl (local.get $r) (i32.const 2)))))
            (block $nzDone
              (loop $nzLoop
                (br_if $nzDone (i32.ge_s (local.get $j) (local.get $end)))
                (local.set $v (f32x4.splat (f32.load (i32.add (local.get $val) (i32.shl (local.get $j) (i32.const 2))))))
                (local.set $p
                  (i32.add
                    (i32.add (local.get $dw) (local.get $c))
                    (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2)))) (local.get $rowBytes))))
                (v128.store offset=0 (local.get $p) (f32x4.add (v128.load offset=0 (local.get $p)) (f32x4.mul (local.get $v) (local.get $d0))))
                (v128.store offset=16 (local.get $p) (f32x4.add (v128.load offset=16 (local.get $p)) (f32x4.mul (local.get $v) (local.get $d1))))
                (v128.store offset=32 (local.get $p) (f32x4.add (v128.load offset=32 (local.get $p)) (f32x4.mul (local.get $v) (local.get $d2))))
                (v128.store offset=48 (local.get $p) (f32x4.add (v128.load offset=48 (local.get $p)) (f32x4.mul (local.get $v) (local.get $d3))))
                (v128.store offset=64 (local.get $p) (f32x4.add (v128.load offset=64 (local.get $p)) (f32x4.mul (local.get $v) (local.get $d4))))
                (v128.store offset=80 (local.get $p) (f32x4.add (v128.load offset=80 (local.get $p)) (f32x4.mul (local.get $v) (local.get $d5))))
                (v128.store offset=96 (local.get $p) (f32x4.add (v128.load offset=96 (local.get $p)) (f32x4.mul (local.get $v) (local.get $d6))))
                (v128.store offset=112 (local.get $p) (f32x4.add (v128.load offset=112 (local.get $p)) (f32x4.mul (local.get $v) (local.get $d7))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $nzLoop)))
            (local.set $c (i32.add (local.get $c) (i32.const 128)))
            (br $wideLoop)))
        (block $narrowDone
          (loop $narrowLoop
            (br_if $narrowDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
            (local.set $d0 (v128.load (i32.add (i32.add (local.get $dz) (i32.mul (local.get $r) (local.get $rowBytes))) (local.get $c))))
            (local.set $j (i32.load (i32.add (local.get $rowPtr) (i32.shl (local.get $r) (i32.const 2)))))
            (local.set $end (i32.load offset=4 (i32.add (local.get $rowPtr) (i32.shl (local.get $r) (i32.const 2)))))
            (block $nzDone4
              (loop $nzLoop4
                (br_if $nzDone4 (i32.ge_s (local.get $j) (local.get $end)))
                (local.set $p
                  (i32.add
                    (i32.add (local.get $dw) (local.get $c))
                    (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2)))) (local.get $rowBytes))))
                (v128.store (local.get $p)
                  (f32x4.add (v128.load (local.get $p))
                    (f32x4.mul
                      (f32x4.splat (f32.load (i32.add (local.get $val) (i32.shl (local.get $j) (i32.const 2)))))
                      (local.get $d0))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $nzLoop4)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $narrowLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop)))))
