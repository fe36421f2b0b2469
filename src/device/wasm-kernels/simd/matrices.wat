;; Batched float32 matmuls and transposes with 128-bit SIMD, working in place on
;; tfjs-backend-wasm's heap.
;;
;; tfjs-backend-wasm multiplies a batch of matrices ([batch, m, k] × [batch, k, n], as in
;; attention) in a scalar loop, and packs B for XNNPACK on every call even when A is one row
;; (a bias gradient's column sums): both run at under 3 GFLOP/s. These two loops vectorise
;; along a contiguous axis instead. The memory is tfjs' own, imported, so no operand is
;; copied; every address and stride below is in bytes.
;;
;; `rows` suits B contiguous along n (C = A·B and C = Aᵀ·B): each row of C is built as a
;; sum of B's rows scaled by A's entries, 16 columns (four vectors) at a time.
;; `dots` suits B contiguous along k (C = A·Bᵀ): each entry of C is a dot product of two
;; contiguous rows, four columns of C at a time.
;; Both sum k in one fixed order, so a call's result is the same on every run.
;; `transpose` swaps the last two axes of a batch of matrices, 4 × 4 blocks at a time through
;; register shuffles, where tfjs' own loop writes one float per cache line.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; C[b, i, j] = Σ_kk A[b, i, kk] · B[b, kk, j]. A is read through strides (aRow, aColumn),
  ;; so a transposed A costs nothing; B's rows are n floats apart; C is contiguous.
  (func (export "rows")
    (param $a i32) (param $b i32) (param $c i32)
    (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
    (param $aBatch i32) (param $aRow i32) (param $aColumn i32) (param $bBatch i32)
    (local $bRow i32) (local $i i32) (local $j i32) (local $kk i32)
    (local $aBase i32) (local $bBase i32) (local $cRow i32) (local $ap i32) (local $bp i32)
    (local $scale v128) (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $sum f32)
    (local.set $bRow (i32.shl (local.get $n) (i32.const 2)))
    (local.set $aBase (local.get $a))
    (local.set $bBase (local.get $b))
    (local.set $cRow (local.get $c))
    (block $batchesDone
      (loop $batches
        (br_if $batchesDone (i32.eqz (local.get $batch)))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rowLoop
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $j (i32.const 0))
            ;; sixteen columns at a time
            (block $wideDone
              (loop $wide
                (br_if $wideDone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $n)))
                (local.set $acc0 (v128.const f32x4 0 0 0 0))
                (local.set $acc1 (v128.const f32x4 0 0 0 0))
                (local.set $acc2 (v128.const f32x4 0 0 0 0))
                (local.set $acc3 (v128.const f32x4 0 0 0 0))
                (local.set $ap (i32.add (local.get $aBase) (i32.mul (local.get $i) (local.get $aRow))))
                (local.set $bp (i32.add (local.get $bBase) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $kk (local.get $k))
                (block $wideSumDone
                  (loop $wideSum
                    (br_if $wideSumDone (i32.eqz (local.get $kk)))
                    (local.set $scale (f32x4.splat (f32.load (local.get $ap))))
                    (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $scale) (v128.load (local.get $bp)))))
                    (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $scale) (v128.load offset=16 (local.get $bp)))))
                    (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $scale) (v128.load offset=32 (local.get $bp)))))
                    (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $scale) (v128.load offset=48 (local.get $bp)))))
                    (local.set $ap (i32.add (local.get $ap) (local.get $aColumn)))
                    (local.set $bp (i32.add (local.get $bp) (local.get $bRow)))
                    (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                    (br $wideSum)))
                (local.set $bp (i32.add (local.get $cRow) (i32.shl (local.get $j) (i32.const 2))))
                (v128.store (local.get $bp) (local.get $acc0))
                (v128.store offset=16 (local.get $bp) (local.get $acc1))
                (v128.store offset=32 (local.get $bp) (local.get $acc2))
                (v128.store offset=48 (local.get $bp) (local.get $acc3))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $wide)))
            ;; four columns at a time
            (block $narrowDone
              (loop $narrow
                (br_if $narrowDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
                (local.set $acc0 (v128.const f32x4 0 0 0 0))
                (local.set $ap (i32.add (local.get $aBase) (i32.mul (local.get $i) (local.get $aRow))))
                (local.set $bp (i32.add (local.get $bBase) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $kk (local.get $k))
                (block $narrowSumDone
                  (loop $narrowSum
                    (br_if $narrowSumDone (i32.eqz (local.get $kk)))
                    (local.set $acc0 (f32x4.add (local.get $acc0)
                      (f32x4.mul (f32x4.splat (f32.load (local.get $ap))) (v128.load (local.get $bp)))))
                    (local.set $ap (i32.add (local.get $ap) (local.get $aColumn)))
                    (local.set $bp (i32.add (local.get $bp) (local.get $bRow)))
                    (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                    (br $narrowSum)))
                (v128.store (i32.add (local.get $cRow) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc0))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $narrow)))
            ;; the last columns one by one
            (block $singleDone
              (loop $single
                (br_if $singleDone (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $sum (f32.const 0))
                (local.set $ap (i32.add (local.get $aBase) (i32.mul (local.get $i) (local.get $aRow))))
                (local.set $bp (i32.add (local.get $bBase) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $kk (local.get $k))
                (block $singleSumDone
                  (loop $singleSum
                    (br_if $singleSumDone (i32.eqz (local.get $kk)))
                    (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $ap)) (f32.load (local.get $bp)))))
                    (local.set $ap (i32.add (local.get $ap) (local.get $aColumn)))
                    (local.set $bp (i32.add (local.get $bp) (local.get $bRow)))
                    (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                    (br $singleSum)))
                (f32.store (i32.add (local.get $cRow) (i32.shl (local.get $j) (i32.const 2))) (local.get $sum))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $single)))
            (local.set $cRow (i32.add (local.get $cRow) (local.get $bRow)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rowLoop)))
        (local.set $aBase (i32.add (local.get $aBase) (local.get $aBatch)))
        (local.set $bBase (i32.add (local.get $bBase) (local.get $bBatch)))
        (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
        (br $batches))))

  ;; The sum of a vector's four lanes.
  (func $lanes (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; The dot product of k floats at x and at y: four lanes of partial sums, then the rest.
  (func $dot (param $x i32) (param $y i32) (param $k i32) (result f32)
    (local $acc v128) (local $sum f32)
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.lt_u (local.get $k) (i32.const 4)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $k (i32.sub (local.get $k) (i32.const 4)))
        (br $vectors)))
    (local.set $sum (call $lanes (local.get $acc)))
    (block $restDone
      (loop $rest
        (br_if $restDone (i32.eqz (local.get $k)))
        (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $x)) (f32.load (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $rest)))
    (local.get $sum))

  ;; C[b, i, j] = Σ_kk A[b, i, kk] · B[b, j, kk]: rows of A and of B are k floats apart and
  ;; contiguous; C is contiguous. Four columns of C share each load of A's row.
  (func (export "dots")
    (param $a i32) (param $b i32) (param $c i32)
    (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
    (param $aBatch i32) (param $bBatch i32)
    (local $row i32) (local $i i32) (local $j i32) (local $kk i32)
    (local $aBase i32) (local $bBase i32) (local $cp i32) (local $ap i32) (local $bp i32)
    (local $x v128) (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $tail0 f32) (local $tail1 f32) (local $tail2 f32) (local $tail3 f32) (local $value f32)
    (local.set $row (i32.shl (local.get $k) (i32.const 2)))
    (local.set $aBase (local.get $a))
    (local.set $bBase (local.get $b))
    (local.set $cp (local.get $c))
    (block $batchesDone
      (loop $batches
        (br_if $batchesDone (i32.eqz (local.get $batch)))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rowLoop
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $j (i32.const 0))
            (block $quadsDone
              (loop $quads
                (br_if $quadsDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
                (local.set $acc0 (v128.const f32x4 0 0 0 0))
                (local.set $acc1 (v128.const f32x4 0 0 0 0))
                (local.set $acc2 (v128.const f32x4 0 0 0 0))
                (local.set $acc3 (v128.const f32x4 0 0 0 0))
                (local.set $ap (i32.add (local.get $aBase) (i32.mul (local.get $i) (local.get $row))))
                (local.set $bp (i32.add (local.get $bBase) (i32.mul (local.get $j) (local.get $row))))
                (local.set $kk (local.get $k))
                (block $vectorsDone
                  (loop $vectors
                    (br_if $vectorsDone (i32.lt_u (local.get $kk) (i32.const 4)))
                    (local.set $x (v128.load (local.get $ap)))
                    (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $x) (v128.load (local.get $bp)))))
                    (local.set $acc1 (f32x4.add (local.get $acc1)
                      (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $bp) (local.get $row))))))
                    (local.set $acc2 (f32x4.add (local.get $acc2)
                      (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $bp) (i32.shl (local.get $row) (i32.const 1)))))))
                    (local.set $acc3 (f32x4.add (local.get $acc3)
                      (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $bp) (i32.mul (local.get $row) (i32.const 3)))))))
                    (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
                    (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
                    (local.set $kk (i32.sub (local.get $kk) (i32.const 4)))
                    (br $vectors)))
                (local.set $tail0 (call $lanes (local.get $acc0)))
                (local.set $tail1 (call $lanes (local.get $acc1)))
                (local.set $tail2 (call $lanes (local.get $acc2)))
                (local.set $tail3 (call $lanes (local.get $acc3)))
                (block $restDone
                  (loop $rest
                    (br_if $restDone (i32.eqz (local.get $kk)))
                    (local.set $value (f32.load (local.get $ap)))
                    (local.set $tail0 (f32.add (local.get $tail0) (f32.mul (local.get $value) (f32.load (local.get $bp)))))
                    (local.set $tail1 (f32.add (local.get $tail1)
                      (f32.mul (local.get $value) (f32.load (i32.add (local.get $bp) (local.get $row))))))
                    (local.set $tail2 (f32.add (local.get $tail2)
                      (f32.mul (local.get $value) (f32.load (i32.add (local.get $bp) (i32.shl (local.get $row) (i32.const 1)))))))
                    (local.set $tail3 (f32.add (local.get $tail3)
                      (f32.mul (local.get $value) (f32.load (i32.add (local.get $bp) (i32.mul (local.get $row) (i32.const 3)))))))
                    (local.set $ap (i32.add (local.get $ap) (i32.const 4)))
                    (local.set $bp (i32.add (local.get $bp) (i32.const 4)))
                    (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                    (br $rest)))
                (f32.store (local.get $cp) (local.get $tail0))
                (f32.store offset=4 (local.get $cp) (local.get $tail1))
                (f32.store offset=8 (local.get $cp) (local.get $tail2))
                (f32.store offset=12 (local.get $cp) (local.get $tail3))
                (local.set $cp (i32.add (local.get $cp) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $quads)))
            (block $singlesDone
              (loop $singles
                (br_if $singlesDone (i32.ge_u (local.get $j) (local.get $n)))
                (f32.store (local.get $cp)
                  (call $dot
                    (i32.add (local.get $aBase) (i32.mul (local.get $i) (local.get $row)))
                    (i32.add (local.get $bBase) (i32.mul (local.get $j) (local.get $row)))
                    (local.get $k)))
                (local.set $cp (i32.add (local.get $cp) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $singles)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rowLoop)))
        (local.set $aBase (i32.add (local.get $aBase) (local.get $aBatch)))
        (local.set $bBase (i32.add (local.get $bBase) (local.get $bBatch)))
        (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
        (br $batches))))
;; Out[b, j, i] = In[b, i, j] for In of [batch, rows, columns], both contiguous. Columns are
;; walked in bands of 8, so the 8 output rows a band writes stay in cache while 4-row blocks
;; fill them. Wider bands were slower (measured: 32 took 4 times as long on [1024, 1024]):
;; rows 4 KB apart share cache sets. Edges that are not whole 4 × 4 blocks are copied one
;; float at a time.
  (func (export "transpose")
    (param $input i32) (param $output i32) (param $batch i32) (param $rows i32) (param $columns i32)
    (local $inRow i32) (local $outRow i32) (local $band i32) (local $bandEnd i32) (local $i i32) (local $j i32)
    (local $source i32) (local $target i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $inRow (i32.shl (local.get $columns) (i32.const 2)))
    (local.set $outRow (i32.shl (local.get $rows) (i32.const 2)))
    (block $batchesDone
      (loop $batches
        (br_if $batchesDone (i32.eqz (local.get $batch)))
        (local.set $band (i32.const 0))
        (block $bandsDone
          (loop $bands
            (br_if $bandsDone (i32.ge_u (local.get $band) (local.get $columns)))
            (local.set $bandEnd (i32.add (local.get $band) (i32.const 8)))
            (if (i32.gt_u (local.get $bandEnd) (local.get $columns)) (then (local.set $bandEnd (local.get $columns))))
            (local.set $i (i32.const 0))
            ;; four input rows at a time
            (block $blockRowsDone
              (loop $blockRows
                (br_if $blockRowsDone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $rows)))
                (local.set $j (local.get $band))
                (block $blocksDone
                  (loop $blocks
                    (br_if $blocksDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $bandEnd)))
                    (local.set $source (i32.add (local.get $input)
                      (i32.add (i32.mul (local.get $i) (local.get $inRow)) (i32.shl (local.get $j) (i32.const 2)))))
                    (local.set $v0 (v128.load (local.get $source)))
                    (local.set $v1 (v128.load (i32.add (local.get $source) (local.get $inRow))))
                    (local.set $v2 (v128.load (i32.add (local.get $source) (i32.shl (local.get $inRow) (i32.const 1)))))
                    (local.set $v3 (v128.load (i32.add (local.get $source) (i32.mul (local.get $inRow) (i32.const 3)))))
                    ;; (a0 b0 a1 b1) (a2 b2 a3 b3) (c0 d0 c1 d1) (c2 d2 c3 d3)
                    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
                    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
                    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
                    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
                    (local.set $target (i32.add (local.get $output)
                      (i32.add (i32.mul (local.get $j) (local.get $outRow)) (i32.shl (local.get $i) (i32.const 2)))))
                    ;; (a0 b0 c0 d0) … (a3 b3 c3 d3)
                    (v128.store (local.get $target)
                      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                    (v128.store (i32.add (local.get $target) (local.get $outRow))
                      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                    (v128.store (i32.add (local.get $target) (i32.shl (local.get $outRow) (i32.const 1)))
                      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                    (v128.store (i32.add (local.get $target) (i32.mul (local.get $outRow) (i32.const 3)))
                      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br $blocks)))
                ;; the band's last columns, one float at a time
                (block $edgeDone
                  (loop $edge
                    (br_if $edgeDone (i32.ge_u (local.get $j) (local.get $bandEnd)))
                    (call $copyColumn (local.get $input) (local.get $output) (local.get $i) (i32.const 4) (local.get $j)
                      (local.get $inRow) (local.get $outRow))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $edge)))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $blockRows)))
            ;; the last rows, one float at a time
            (local.set $j (local.get $band))
            (block $lastDone
              (loop $last
                (br_if $lastDone (i32.ge_u (local.get $j) (local.get $bandEnd)))
                (call $copyColumn (local.get $input) (local.get $output) (local.get $i) (i32.sub (local.get $rows) (local.get $i))
                  (local.get $j) (local.get $inRow) (local.get $outRow))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $last)))
            (local.set $band (local.get $bandEnd))
            (br $bands)))
        (local.set $input (i32.add (local.get $input) (i32.mul (local.get $rows) (local.get $inRow))))
        (local.set $output (i32.add (local.get $output) (i32.mul (local.get $rows) (local.get $inRow))))
        (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
        (br $batches))))

  ;; Out[j, from … from + count) = In[from … from + count, j], one float at a time.
  (func $copyColumn
    (param $input i32) (param $output i32) (param $from i32) (param $count i32) (param $j i32)
    (param $inRow i32) (param $outRow i32)
    (local $source i32) (local $target i32)
    (local.set $source (i32.add (local.get $input)
      (i32.add (i32.mul (local.get $from) (local.get $inRow)) (i32.shl (local.get $j) (i32.const 2)))))
    (local.set $target (i32.add (local.get $output)
      (i32.add (i32.mul (local.get $j) (local.get $outRow)) (i32.shl (local.get $from) (i32.const 2)))))
    (block $done
      (loop $copy
        (br_if $done (i32.eqz (local.get $count)))
        (f32.store (local.get $target) (f32.load (local.get $source)))
        (local.set $source (i32.add (local.get $source) (local.get $inRow)))
        (local.set $target (i32.add (local.get $target) (i32.const 4)))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $copy))))
)
