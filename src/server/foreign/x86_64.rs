//! The x86-64 trampolines: load the integer and vector argument registers and the stack
//! image from the frame (see `crate::foreign::frame`), call, and store the result
//! registers. System V on Linux, the Windows convention (four register slots and a
//! 32-byte shadow space) on Windows.

use super::Regs;

/// Calls `f` with the frame at `frame`, whose stack image is `stack_len` bytes, storing
/// `rax`, `rdx`, `xmm0` and `xmm1` in `regs`. `x87` is unused on x86-64.
///
/// # Safety
/// `f` must be a function that takes exactly these arguments; `frame` must hold the
/// register part and `stack_len` more readable bytes (a multiple of 8); `regs` must be
/// writable.
#[cfg(not(windows))]
#[unsafe(naked)]
pub(super) unsafe extern "C" fn call(
    f: usize,
    frame: *const u8,
    stack_len: usize,
    regs: *mut Regs,
    x87: u32,
) {
    core::arch::naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "push rbx",
        "push r12",
        "mov r12, rdi",
        "mov rbx, rcx",
        "mov r10, rsi",
        "mov rcx, rdx",
        "sub rsp, rdx",
        "and rsp, -16",
        // The stack image (at r10 + 112, after the registers' part), a qword at a time
        // from its end, `rcx` counting qwords down to 1 (so r10 + 104 + 8 rcx): most are
        // empty or a few qwords, which `rep movsb` takes tens of cycles to start copying.
        "shr rcx, 3",
        "jz 5f",
        "4:",
        "mov rax, [r10 + rcx*8 + 104]",
        "mov [rsp + rcx*8 - 8], rax",
        "dec rcx",
        "jnz 4b",
        "5:",
        "movq xmm0, qword ptr [r10 + 48]",
        "movq xmm1, qword ptr [r10 + 56]",
        "movq xmm2, qword ptr [r10 + 64]",
        "movq xmm3, qword ptr [r10 + 72]",
        "movq xmm4, qword ptr [r10 + 80]",
        "movq xmm5, qword ptr [r10 + 88]",
        "movq xmm6, qword ptr [r10 + 96]",
        "movq xmm7, qword ptr [r10 + 104]",
        "mov rdi, [r10]",
        "mov rsi, [r10 + 8]",
        "mov rdx, [r10 + 16]",
        "mov rcx, [r10 + 24]",
        "mov r8, [r10 + 32]",
        "mov r9, [r10 + 40]",
        // The number of vector registers used, for variadic callees.
        "mov eax, 8",
        "call r12",
        "mov [rbx], rax",
        "mov [rbx + 8], rdx",
        "movq qword ptr [rbx + 16], xmm0",
        "movq qword ptr [rbx + 24], xmm1",
        "lea rsp, [rbp - 16]",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    )
}

/// Calls `f` as above, in the Windows x64 convention.
///
/// Unlike the System V one, it has unwind information (`.seh_*`): an exception in the
/// library (an access violation, say) is dispatched by walking the stack through the
/// tables of every function on it. A function without them, as a naked function is by
/// default, is taken for a leaf whose return address is at `rsp`; here it is not, the walk
/// goes astray and the process ends without its top-level filter running. The prologue
/// pushes the registers it saves, then makes `rbp` the frame pointer, so the unwinder
/// finds them whatever the body does to `rsp`.
///
/// # Safety
/// As above.
#[cfg(windows)]
#[unsafe(naked)]
pub(super) unsafe extern "C" fn call(
    f: usize,
    frame: *const u8,
    stack_len: usize,
    regs: *mut Regs,
    x87: u32,
) {
    core::arch::naked_asm!(
        ".seh_proc {call}",
        "push rbp",
        ".seh_pushreg rbp",
        "push rbx",
        ".seh_pushreg rbx",
        "push r12",
        ".seh_pushreg r12",
        "push rsi",
        ".seh_pushreg rsi",
        "push rdi",
        ".seh_pushreg rdi",
        "mov rbp, rsp",
        ".seh_setframe rbp, 0",
        ".seh_endprologue",
        "mov r12, rcx",
        "mov rbx, r9",
        "mov r10, rdx",
        "mov rcx, r8",
        "sub rsp, r8",
        "sub rsp, 32",
        "and rsp, -16",
        // The stack image above the 32-byte shadow space, a qword at a time from its end
        // (see the System V trampoline: rsp + 32 - 8 + 8 rcx).
        "shr rcx, 3",
        "jz 5f",
        "4:",
        "mov rax, [r10 + rcx*8 + 104]",
        "mov [rsp + rcx*8 + 24], rax",
        "dec rcx",
        "jnz 4b",
        "5:",
        "movq xmm0, qword ptr [r10 + 48]",
        "movq xmm1, qword ptr [r10 + 56]",
        "movq xmm2, qword ptr [r10 + 64]",
        "movq xmm3, qword ptr [r10 + 72]",
        "mov rcx, [r10]",
        "mov rdx, [r10 + 8]",
        "mov r8, [r10 + 16]",
        "mov r9, [r10 + 24]",
        "call r12",
        "mov [rbx], rax",
        "mov [rbx + 8], rdx",
        "movq qword ptr [rbx + 16], xmm0",
        "movq qword ptr [rbx + 24], xmm1",
        "lea rsp, [rbp]",
        "pop rdi",
        "pop rsi",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
        ".seh_endproc",
        call = sym call,
    )
}
