;; fib(30), recursively, printed as `fib(30) = 832040`: a WASI command written by hand.
;; The test (and you) compile it with any WAT assembler, e.g. `wasm-tools parse fib.wat -o fib.wasm`.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "fib(30) = ")
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "_start")
    (local $value i32)
    (local $digit i32)
    (local.set $value (call $fib (i32.const 30)))
    ;; The decimal digits, written backwards from byte 63, which holds the newline.
    (i32.store8 (i32.const 63) (i32.const 10))
    (local.set $digit (i32.const 63))
    (loop $digits
      (local.set $digit (i32.sub (local.get $digit) (i32.const 1)))
      (i32.store8 (local.get $digit)
        (i32.add (i32.const 48) (i32.rem_u (local.get $value) (i32.const 10))))
      (local.set $value (i32.div_u (local.get $value) (i32.const 10)))
      (br_if $digits (local.get $value)))
    ;; The text just before the digits, so that the line is one buffer: a WASI write may
    ;; take only the first of several buffers, and a line must not be split.
    (local.set $digit (i32.sub (local.get $digit) (i32.const 10)))
    (memory.copy (local.get $digit) (i32.const 16) (i32.const 10))
    (i32.store (i32.const 0) (local.get $digit))
    (i32.store (i32.const 4) (i32.sub (i32.const 64) (local.get $digit)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
