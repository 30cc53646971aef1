;; The filter gradient of a 2-D convolution (NHWC, dilation 1), directly:
;;   dw[kh, kw, ci, co] = Σ over (b, oh, ow) of x[b, oh·sH + kh − top, ow·sW + kw − left, ci] · dy[b, oh, ow, co]
;; driven by the input: each non-zero x[b, ih, iw, ci] is added, times the dy rows of the output
;; positions it reaches, into dw[kh, kw, ci, :]. Zero inputs cost one comparison: a CNN's first
;; layer reads MNIST pixels (81% zeros) and later layers read ReLU outputs (about half zeros).
;; co runs 4 at a time (outC must be a multiple of 4).
;;
;; The module imports the wasm backend's memory: pointers are byte offsets of its tensors.
;; Source of conv-filter-grad-wasm.ts (generated: `pnpm --filter @lrsweep/worker gen:wasm`).
;; Output row (or column) reached by input row i through tap k: (i + pad − k) / stride when that
;; is a whole number in [0, out), else −1.
(module
  (import "env" "memory" (memory 0))

  (func $reach (param $i i32) (param $pad i32) (param $k i32) (param $stride i32) (param $out i32) (result i32)
    (local $t i32)
    (local.set $t (i32.sub (i32.add (local.get $i) (local.get $pad)) (local.get $k)))
    (if (i32.lt_s (local.get $t) (i32.const 0)) (then (return (i32.const -1))))
    (if (i32.ne (local.get $stride) (i32.const 1))
      (then
        (if (i32.rem_u (local.get $t) (local.get $stride)) (then (return (i32.const -1))))
        (local.set $t (i32.div_u (local.get $t) (local.get $stride)))))
    (if (result i32) (i32.lt_u (local.get $t) (local.get $out)) (then (local.get $t)) (else (i32.const -1))))

  (func (export "conv2dFilterGrad")
    (param $x i32) (param $dy i32) (param $dw i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $inC i32)
    (param $outH i32) (param $outW i32) (param $outC i32)
    (param $fH i32) (param $fW i32) (param $sH i32) (param $sW i32) (param $top i32) (param $left i32)
    (local $b i32) (local $ih i32) (local $iw i32) (local $ci i32) (local $kh i32) (local $kw i32) (local $c i32)
    (local $oh i32) (local $ow i32) (local $xp i32) (local $dyp i32) (local $wp i32) (local $coBytes i32)
    (local $v f32) (local $vs v128) (local $p i32)
    (local.set $coBytes (i32.shl (local.get $outC) (i32.const 2)))
    (memory.fill (local.get $dw) (i32.const 0)
      (i32.mul (i32.mul (i32.mul (local.get $fH) (local.get $fW)) (local.get $inC)) (local.get $coBytes)))
    (local.set $xp (local.get $x))
    (local.set $b (i32.const 0))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $ih (i32.const 0))
      (block $ihDone (loop $ihLoop
        (br_if $ihDone (i32.ge_u (local.get $ih) (local.get $inH)))
        (local.set $iw (i32.const 0))
        (block $iwDone (loop $iwLoop
          (br_if $iwDone (i32.ge_u (local.get $iw) (local.get $inW)))
          (local.set $ci (i32.const 0))
          (block $ciDone (loop $ciLoop
            (br_if $ciDone (i32.ge_u (local.get $ci) (local.get $inC)))
            (local.set $v (f32.load (local.get $xp)))
            ;; f32.ne is true for NaN: a NaN input still reaches the gradient.
            (if (f32.ne (local.get $v) (f32.const 0))
              (then
                (local.set $vs (f32x4.splat (local.get $v)))
                (local.set $kh (i32.const 0))
                (block $khDone (loop $khLoop
                  (br_if $khDone (i32.ge_u (local.get $kh) (local.get $fH)))
                  (local.set $oh (call $reach (local.get $ih) (local.get $top) (local.get $kh) (local.get $sH) (local.get $outH)))
                  (if (i32.ge_s (local.get $oh) (i32.const 0))
                    (then
                      (local.set $kw (i32.const 0))
                      (block $kwDone (loop $kwLoop
                        (br_if $kwDone (i32.ge_u (local.get $kw) (local.get $fW)))
                        (local.set $ow (call $reach (local.get $iw) (local.get $left) (local.get $kw) (local.get $sW) (local.get $outW)))
                        (if (i32.ge_s (local.get $ow) (i32.const 0))
                          (then
                            (local.set $dyp
                              (i32.add (local.get $dy)
                                (i32.mul
                                  (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $outH)) (local.get $oh)) (local.get $outW)) (local.get $ow))
                                  (local.get $coBytes))))
                            (local.set $wp
                              (i32.add (local.get $dw)
                                (i32.mul
                                  (i32.add (i32.mul (i32.add (i32.mul (local.get $kh) (local.get $fW)) (local.get $kw)) (local.get $inC)) (local.get $ci))
                                  (local.get $coBytes))))
                            (local.set $c (i32.const 0))
                            (block $cDone (loop $cLoop
                              (br_if $cDone (i32.ge_u (local.get $c) (local.get $coBytes)))
                              (local.set $p (i32.add (local.get $wp) (local.get $c)))
                              (v128.store (local.get $p)
                                (f32x4.add (v128.load (local.get $p))
                                  (f32x4.mul (local.get $vs) (v128.load (i32.add (local.get $dyp) (local.get $c))))))
                              (local.set $c (i32.add (local.get $c) (i32.const 16)))
                              (br $cLoop)))))
                        (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
                        (br $kwLoop)))))
                  (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
                  (br $khLoop)))))
            (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
            (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
            (br $ciLoop)))
          (local.set $iw (i32.add (local.get $iw) (i32.const 1)))
          (br $iwLoop)))
        (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
        (br $ihLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop)))))
