// The words fadump-sim's pages use that a reader who knows kdump may not: one table, from which
// docs/glossary.md and the report's glossary are made, and by which the report links each term it
// uses to its entry.

export interface GlossaryEntry {
  /** The term as the pages write it. */
  term: string;
  /** Other spellings that are the same term. */
  also?: readonly string[];
  /** Anchor: `glossary-<id>` in the report, `#<id>` in docs/glossary.md. */
  id: string;
  text: string;
  /** Where it comes from upstream. */
  source: string;
}

export const GLOSSARY: readonly GlossaryEntry[] = [
  {
    term: 'fadump',
    also: ['firmware-assisted dump'],
    id: 'fadump',
    text: 'Firmware-assisted dump: the kernel asks the firmware, ahead of time, to copy memory aside when it crashes; the firmware does the copy, reboots keeping memory, and a fresh kernel (the fadump kernel) offers the old one as /proc/vmcore. No kexec, no crash kernel loaded in advance.',
    source: 'Linux Documentation/arch/powerpc/firmware-assisted-dump.rst',
  },
  {
    term: 'RTAS',
    id: 'rtas',
    text: 'Run-Time Abstraction Services: the pSeries firmware interface (PAPR). The kernel writes a token and arguments into a buffer in memory and calls in; fadump uses ibm,configure-kernel-dump to register and ibm,os-term to hand over at the crash.',
    source: 'LoPAR (Linux on Power Architecture Reference), RTAS; Linux arch/powerpc/kernel/rtas.c',
  },
  {
    term: 'OPAL',
    id: 'opal',
    text: 'OPAL: the firmware interface of a PowerNV (bare-metal) machine, provided by skiboot. fadump there is MPIPL.',
    source: 'skiboot core/opal.c; Linux arch/powerpc/platforms/powernv/opal-fadump.c',
  },
  {
    term: 'MPIPL',
    id: 'mpipl',
    text: 'Memory-preserving IPL: a PowerNV reboot that keeps memory. The kernel lists the ranges to preserve (OPAL_MPIPL_UPDATE), leaves an address under a tag, and reboots with OPAL_CEC_REBOOT2 type 3; the SBE and hostboot copy the ranges.',
    source: 'skiboot core/opal-dump.c, doc/opal-api/opal-mpipl-173-174.rst',
  },
  {
    term: 'SBE',
    id: 'sbe',
    text: "Self-boot engine: the processor's boot engine, which with hostboot performs the MPIPL dump step: the threads' registers saved, the preserved ranges copied (from the MDST to the MDRT).",
    source: 'skiboot hdata/spira.h (the MDST/MDRT tables it works from)',
  },
  {
    term: 'LMB',
    id: 'lmb',
    text: 'Logical memory block: the unit in which a pSeries partition gains and loses memory (256 MiB here by default). The kernel sees each as a memory block; ibm,dynamic-memory-v2 in the device tree lists them.',
    source: 'Linux arch/powerpc/mm/drmem.c',
  },
  {
    term: 'DRC index',
    id: 'drc-index',
    text: "Dynamic reconfiguration connector index: the firmware's name for an LMB (or a CPU) in DLPAR requests; a hot-add or hot-remove names LMBs by it.",
    source: 'LoPAR, Dynamic Reconfiguration; Linux arch/powerpc/platforms/pseries/hotplug-memory.c',
  },
  {
    term: 'DLPAR',
    id: 'dlpar',
    text: 'Dynamic logical partitioning: adding memory or CPUs to a running partition, or removing them. Each LMB added or removed is a memory uevent, which the legacy kdump udev rule answers by re-registering fadump.',
    source: 'Linux arch/powerpc/platforms/pseries/dlpar.c',
  },
  {
    term: 'PIR',
    id: 'pir',
    text: 'Processor identification register: the hardware id of a thread. PowerNV names CPUs by PIR in its register records and the fadump kernel maps them back to logical CPUs.',
    source: 'Power ISA; Linux arch/powerpc/platforms/powernv/opal-fadump.c',
  },
  {
    term: 'HPTE',
    id: 'hpte',
    text: 'Hash page table entry: the hash MMU translates through a hash page table of these; the vmemmap that makedumpfile reads is mapped in 16 MiB pieces (vmemmap_list) rather than walked through page tables.',
    source: 'Linux arch/powerpc/mm/book3s64/hash_utils.c, arch/powerpc/mm/init_64.c',
  },
  {
    term: 'elfcorehdr',
    id: 'elfcorehdr',
    text: "The ELF header and program headers that describe the dump (the first bytes of /proc/vmcore). Before 6.10 the crashing kernel builds it in its reserved area and must rebuild it on every memory event; from 6.10 the fadump kernel builds it from the crashed kernel's memory ranges.",
    source: 'Linux arch/powerpc/kernel/fadump.c (fadump_setup_elfcorehdr_buf, fadump_create_elfcore_headers)',
  },
  {
    term: 'boot memory',
    also: ['boot_mem_top'],
    id: 'boot-memory',
    text: 'The low memory the fadump kernel boots in, which the firmware copies aside at the crash (the boot memory copy in the reserved area); boot_mem_top is where it ends. Memory above it is left as it was and read in place.',
    source: 'Linux arch/powerpc/kernel/fadump.c (fadump_calculate_reserve_size, boot_mem_top)',
  },
  {
    term: 'reserved area',
    id: 'reserved-area',
    text: 'The memory fadump reserves at boot (a CMA area while no dump waits): the boot memory copy, the CPU state, the crash info header and, before 6.10, the elfcorehdr.',
    source: 'Linux arch/powerpc/kernel/fadump.c (fadump_reserve_mem)',
  },
  {
    term: 'crash info header',
    id: 'crash-info-header',
    text: 'struct fadump_crash_info_header: what the crashing kernel leaves in the reserved area for the fadump kernel — a magic number, the crashing CPU and its registers, the CPU mask, and (from 6.10) where VMCOREINFO is.',
    source: 'Linux arch/powerpc/include/asm/fadump-internal.h',
  },
  {
    term: 'hotplug_ready',
    id: 'hotplug-ready',
    text: '/sys/kernel/fadump/hotplug_ready, from 6.10: 1 means the kernel needs no re-registration after memory hotplug (the fadump kernel builds the elfcorehdr), so the kdump udev rule leaves fadump registered.',
    source: 'Linux arch/powerpc/kernel/fadump.c (hotplug_ready_show)',
  },
  {
    term: 'VMCOREINFO',
    id: 'vmcoreinfo',
    text: 'A note of KEY=value lines in which the kernel tells dump tools its layout: symbol addresses, structure sizes and offsets, page flags. makedumpfile and vmcore-dmesg read it; crash needs a vmlinux besides.',
    source: 'Linux kernel/vmcore_info.c',
  },
  {
    term: 'dump level',
    id: 'dump-level',
    text: "makedumpfile's -d: the sum of 1 (zero pages), 2 (cache), 4 (cache with private data), 8 (user data) and 16 (free pages): the pages the saved dump leaves out, decided from each page's struct page. 31, all of them, is what distributions use.",
    source: 'makedumpfile.c (exclude_unnecessary_pages)',
  },
  {
    term: 'uevent',
    id: 'uevent',
    text: "The kernel's notice to userspace that a device changed: each memory block added, removed, onlined or offlined is one, and udev runs the kdump rule for it.",
    source: 'Linux drivers/base/memory.c; the kdump udev rule of kexec-tools / kdump-utils',
  },
];

/** The term and its spellings, longest first (so a longer spelling is found before a shorter one). */
export function spellings(e: GlossaryEntry): string[] {
  return [e.term, ...(e.also ?? [])].sort((a, b) => b.length - a.length);
}

/** kdump against fadump, for people who know the first. */
export const KDUMP_VS_FADUMP: readonly [string, string, string][] = [
  [
    'what captures',
    'a crash kernel, loaded ahead with kexec -p, started by the panicking kernel',
    'firmware, asked ahead of time; the machine reboots through firmware',
  ],
  [
    'memory kept for it',
    'crashkernel= reserves room for the crash kernel',
    'crashkernel= or fadump_reserve_mem= sizes the reserved area (the boot memory copy)',
  ],
  [
    'the hardware on the way',
    'not reset: the crash kernel starts on a device state it must cope with',
    'reset by firmware: the fadump kernel boots a clean machine',
  ],
  [
    'who describes the dump',
    'the first kernel prepares the elfcorehdr for kexec',
    'before 6.10 the first kernel, in its reserved area; from 6.10 the fadump kernel',
  ],
  [
    'after memory hotplug',
    'the kdump service reloads the crash kernel',
    'before 6.10 re-registration (a window without a dump); from 6.10 nothing to do',
  ],
  [
    'saving it',
    'the kdump service: vmcore-dmesg, makedumpfile',
    'the same service, the same tools, on /proc/vmcore of the fadump kernel',
  ],
];

/** docs/glossary.md. */
export function glossaryDoc(): string {
  const out = [
    '# Glossary',
    '',
    'Generated by `npm run docs` from `scenarios/glossary.ts`, which the report uses too; do not edit by hand.',
    '',
  ];
  for (const e of GLOSSARY) {
    out.push(
      `## ${e.term}`,
      '',
      `<a id="${e.id}"></a>${e.also ? `Also: ${e.also.join(', ')}. ` : ''}${e.text}`,
      '',
      `Source: ${e.source}.`,
      '',
    );
  }
  out.push('## kdump and fadump', '', '| | kdump | fadump |', '|---|---|---|');
  for (const [what, kdump, fadump] of KDUMP_VS_FADUMP) out.push(`| ${what} | ${kdump} | ${fadump} |`);
  out.push('');
  return out.join('\n');
}
