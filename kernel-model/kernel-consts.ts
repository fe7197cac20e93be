// The kernel's own numbers that many of its files use: printk log levels (include/linux/kern_levels.h)
// and the errno values sysfs stores return (include/uapi/asm-generic/errno-base.h). A leaf module, so
// the kernel, fadump and its platform backends share them without importing one another.

export const KERN_EMERG = 0;
export const KERN_ERR = 3;
export const KERN_WARNING = 4;
export const KERN_INFO = 6;

/** Errno values sysfs stores return. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
} as const;
