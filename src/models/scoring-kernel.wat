;; The scoring loop of every factor model, in WebAssembly SIMD (f32x4): for each catalogue item i,
;;
;;   out[i] = bias[i] + dot(user, items[i])
;;
;; Items are stored in blocks of 4 (ScoringKernel lays them out once at load): a block holds, for each dimension
;; f, the f-th factor of its 4 items side by side, so one f32x4 multiply-add advances 4 items by one dimension and
;; no horizontal sum is needed. `userSplat` holds each user factor repeated in all 4 lanes (dim x 16 bytes).
;; Two accumulators over alternating dimensions (the dimension count is padded to even) let the CPU overlap the
;; additions. `firstAbove` is the top-k pass's filter: it skips, four scores per comparison, every score that
;; cannot enter the current top k. Assembled into scoring-kernel-binary.ts by `npm run build:wasm`; a test checks the two agree.
(module
  (import "env" "memory" (memory 1))
  (func (export "scoreBlocks")
    (param $blocks i32) (param $bias i32) (param $userSplat i32) (param $out i32) (param $nBlocks i32)
    (param $blockBytes i32)
    (local $end i32) (local $blockEnd i32) (local $u i32) (local $a0 v128) (local $a1 v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $nBlocks) (i32.const 4))))
    (block $done
      (loop $next_block
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $a0 (v128.load (local.get $bias)))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $u (local.get $userSplat))
        (local.set $blockEnd (i32.add (local.get $blocks) (local.get $blockBytes)))
        (block $block_done
          (loop $next_dims
            (br_if $block_done (i32.ge_u (local.get $blocks) (local.get $blockEnd)))
            (local.set $a0
              (f32x4.add (local.get $a0)
                (f32x4.mul (v128.load (local.get $u)) (v128.load (local.get $blocks)))))
            (local.set $a1
              (f32x4.add (local.get $a1)
                (f32x4.mul (v128.load offset=16 (local.get $u)) (v128.load offset=16 (local.get $blocks)))))
            (local.set $u (i32.add (local.get $u) (i32.const 32)))
            (local.set $blocks (i32.add (local.get $blocks) (i32.const 32)))
            (br $next_dims)))
        (v128.store (local.get $out) (f32x4.add (local.get $a0) (local.get $a1)))
        (local.set $bias (i32.add (local.get $bias) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $next_block))))

  ;; The index of the first score > threshold in out[from .. n), or n when there is none.
  (func (export "firstAbove")
    (param $out i32) (param $from i32) (param $n i32) (param $threshold f32) (result i32)
    (local $i i32) (local $t v128)
    (local.set $t (f32x4.splat (local.get $threshold)))
    (local.set $i (local.get $from))
    (block $found_block
      (loop $next_four
        (br_if $found_block (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (br_if $found_block
          (v128.any_true
            (f32x4.gt (v128.load (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))))
                      (local.get $t))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next_four)))
    ;; One by one through the block that holds a larger score, or the last partial block.
    (block $done
      (loop $next_one
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (f32.gt (f32.load (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))))
                    (local.get $threshold))
          (then (return (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next_one)))
    (local.get $n)))
