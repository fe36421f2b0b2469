;; BERT's exact GELU, x·Φ(x), and its gradient dy·(Φ(x) + x·φ(x)), four floats at a time on
;; tfjs-backend-wasm's heap.
;;
;; Built from tfjs' elementwise kernels, GELU read and wrote the whole [tokens, intermediate]
;; tensor 5 times forward and 11 times backward, Erf and Exp among them as scalar C++: a tenth
;; of a training step. Here each direction is one pass.
;;
;; Φ(x) = ½(1 + erf(x/√2)), with erf from Abramowitz & Stegun 7.1.26 (absolute error under
;; 1.5e-7, far below float32 training noise and the 1e-5 the fixtures ask for):
;;   erf(a) = 1 − t(a1 + t(a2 + t(a3 + t(a4 + t·a5))))·e^(−a²),  t = 1/(1 + p·a),  a ≥ 0.
;; With a = |x|/√2, e^(−a²) = e^(−x²/2) is also the exponential in φ, so one serves both; and
;; with q = ½·t(…)·e^(−x²/2), Φ = 1 − q for x ≥ 0 and Φ = q for x < 0, without cancellation in
;; the left tail.
;; The exponential is Cephes' expf: n = round(y·log₂e), r = y − n·ln 2 in two parts (exact
;; products), a degree-7 polynomial in r, and 2ⁿ written into the exponent bits. y = −x²/2 is
;; clamped at −87 so that 2ⁿ stays a normal float; e^−87 is already below every term it meets.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; e^y, for y ≤ 0
  (func $exp (param $y v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $y (f32x4.max (local.get $y) (v128.const f32x4 -87 -87 -87 -87)))
    (local.set $n (f32x4.nearest
      (f32x4.mul (local.get $y) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
    (local.set $r (f32x4.sub (local.get $y)
      (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r)
      (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $r) (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
      (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    ;; p·r² + r + 1
    (local.set $p (f32x4.add
      (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
      (v128.const f32x4 1 1 1 1)))
    ;; × 2ⁿ: n + 127 in the exponent field
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))

  ;; Φ(x), given e = e^(−x²/2)
  (func $cumulative (param $x v128) (param $e v128) (result v128)
    (local $t v128) (local $q v128)
    (local.set $t (f32x4.div (v128.const f32x4 1 1 1 1)
      (f32x4.add (v128.const f32x4 1 1 1 1)
        ;; p/√2: a = |x|/√2 enters only through p·a
        (f32x4.mul (f32x4.abs (local.get $x)) (v128.const f32x4 0.2316419 0.2316419 0.2316419 0.2316419)))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $t) (v128.const f32x4 1.061405429 1.061405429 1.061405429 1.061405429))
      (v128.const f32x4 -1.453152027 -1.453152027 -1.453152027 -1.453152027)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t))
      (v128.const f32x4 1.421413741 1.421413741 1.421413741 1.421413741)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t))
      (v128.const f32x4 -0.284496736 -0.284496736 -0.284496736 -0.284496736)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t))
      (v128.const f32x4 0.254829592 0.254829592 0.254829592 0.254829592)))
    ;; ½·t·(…)·e
    (local.set $q (f32x4.mul (f32x4.mul (local.get $q) (local.get $t))
      (f32x4.mul (local.get $e) (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (v128.bitselect
      (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $q))
      (local.get $q)
      (f32x4.ge (local.get $x) (v128.const f32x4 0 0 0 0))))

  (func $halfSquareExp (param $x v128) (result v128)
    (call $exp (f32x4.mul (f32x4.mul (local.get $x) (local.get $x)) (v128.const f32x4 -0.5 -0.5 -0.5 -0.5))))

  ;; x·Φ(x)
  (func $gelu (param $x v128) (result v128)
    (f32x4.mul (local.get $x) (call $cumulative (local.get $x) (call $halfSquareExp (local.get $x)))))

  ;; dy·(Φ(x) + x·φ(x)), φ(x) = e^(−x²/2)/√(2π)
  (func $geluGradient (param $dy v128) (param $x v128) (result v128)
    (local $e v128)
    (local.set $e (call $halfSquareExp (local.get $x)))
    (f32x4.mul (local.get $dy)
      (f32x4.add (call $cumulative (local.get $x) (local.get $e))
        (f32x4.mul (f32x4.mul (local.get $x) (local.get $e))
          (v128.const f32x4 0.398942280401432678 0.398942280401432678 0.398942280401432678 0.398942280401432678)))))

  ;; Out[i] = gelu(X[i]) for count floats.
  (func (export "gelu") (param $x i32) (param $out i32) (param $count i32)
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.lt_u (local.get $count) (i32.const 4)))
        (v128.store (local.get $out) (call $gelu (v128.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $count (i32.sub (local.get $count) (i32.const 4)))
        (br $vectors)))
    ;; the last floats one at a time, through lane 0
    (block $done
      (loop $rest
        (br_if $done (i32.eqz (local.get $count)))
        (f32.store (local.get $out) (f32x4.extract_lane 0 (call $gelu (f32x4.splat (f32.load (local.get $x))))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $rest))))

  ;; Out[i] = dY[i]·gelu′(X[i]) for count floats.
  (func (export "geluGradient") (param $dy i32) (param $x i32) (param $out i32) (param $count i32)
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.lt_u (local.get $count) (i32.const 4)))
        (v128.store (local.get $out) (call $geluGradient (v128.load (local.get $dy)) (v128.load (local.get $x))))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $count (i32.sub (local.get $count) (i32.const 4)))
        (br $vectors)))
    (block $done
      (loop $rest
        (br_if $done (i32.eqz (local.get $count)))
        (f32.store (local.get $out) (f32x4.extract_lane 0
          (call $geluGradient (f32x4.splat (f32.load (local.get $dy))) (f32x4.splat (f32.load (local.get $x))))))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $rest))))
)
