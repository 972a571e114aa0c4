//! The i386 trampoline (cdecl and stdcall alike): copies the frame onto a 16-byte-aligned
//! stack (a dword at a time), calls, and restores the stack pointer from the frame
//! pointer, which also undoes whatever the callee popped (stdcall's arguments, a hidden
//! return pointer).

use super::Regs;

/// Calls `f` with the `len`-byte stack image at `frame`, storing `eax` and `edx` in
/// `regs.r0` and, when `x87` is 4 or 8, popping `st0` into `regs.f0` as a float or a
/// double.
///
/// # Safety
/// `f` must be a function that takes exactly this stack image (and returns a float in
/// `st0` exactly when `x87` is not 0); `frame` must hold `len` readable bytes (at most
/// `MAX_FRAME`, a multiple of 4) and `regs` must be writable.
#[unsafe(naked)]
pub(super) unsafe extern "C" fn call(
    f: usize,
    frame: *const u8,
    len: usize,
    regs: *mut Regs,
    x87: u32,
) {
    core::arch::naked_asm!(
        "push ebp",
        "mov ebp, esp",
        "push ebx",
        "push esi",
        "push edi",
        "mov ecx, [ebp + 16]",
        "mov esi, [ebp + 12]",
        "sub esp, ecx",
        "and esp, -16",
        // The frame, a dword at a time from its end: most are a few dwords, which
        // `rep movsb` takes tens of cycles to start copying.
        "shr ecx, 2",
        "jz 5f",
        "4:",
        "mov eax, [esi + ecx*4 - 4]",
        "mov [esp + ecx*4 - 4], eax",
        "dec ecx",
        "jnz 4b",
        "5:",
        "call dword ptr [ebp + 8]",
        "mov ecx, [ebp + 20]",
        "mov [ecx], eax",
        "mov [ecx + 4], edx",
        "mov eax, [ebp + 24]",
        "cmp eax, 4",
        "jne 2f",
        "fstp dword ptr [ecx + 16]",
        "jmp 3f",
        "2:",
        "cmp eax, 8",
        "jne 3f",
        "fstp qword ptr [ecx + 16]",
        "3:",
        "lea esp, [ebp - 12]",
        "pop edi",
        "pop esi",
        "pop ebx",
        "pop ebp",
        "ret",
    )
}
