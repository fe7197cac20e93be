// Where the simulated kernel keeps the buffers it shares with firmware or hands to /proc/vmcore.
// All lie in the real mode area (first 256 MiB) and inside boot memory, above the kernel image
// (vmlinux.ts keeps the image below KERNEL_IMAGE_END = 128 MiB).

/** ASSUMPTION: struct rtas_args (rtas.args) in kernel data. */
export const RTAS_ARGS_ADDR = 0x0810_0000;
/** ASSUMPTION: the rtas_os_term message buffer. */
export const RTAS_MSG_ADDR = 0x0810_1000;
/** ASSUMPTION: the static struct rtas_fadump_mem_struct fdm (RTAS reads it; must be in the RMA). */
export const FDM_ADDR = 0x0810_2000;
/** ASSUMPTION: the capture kernel's elfcorehdr buffer (alloc_pages_exact), 16 MiB window. */
export const ELFCOREHDR_ADDR = 0x0900_0000;
export const ELFCOREHDR_MAX = 0x0100_0000;
/** ASSUMPTION: the capture kernel's CPU notes buffer, 8 MiB window. */
export const CPU_NOTES_ADDR = 0x0a00_0000;
export const CPU_NOTES_MAX = 0x0080_0000;
/** Kernel stacks: 16 KiB per CPU from here (used for plausible r1 values). */
export const STACKS_ADDR = 0x0c00_0000;
export const STACK_SIZE = 0x4000;
