// Where each behaviour the player and the lab show comes from upstream: the Linux or skiboot
// function that does it, with the file it is in. docs/upstream.md is generated from UPSTREAM, and a
// step of the player cites only names it has (a test keeps it so).

import type { SimEvent } from '../emulator/events.ts';

export interface UpstreamFunction {
  project: 'Linux' | 'skiboot';
  file: string;
  /** What it does, in the model's terms. */
  what: string;
}

const linux = (file: string, what: string): UpstreamFunction => ({ project: 'Linux', file, what });
const FADUMP_C = 'arch/powerpc/kernel/fadump.c';
const RTAS_FADUMP_C = 'arch/powerpc/platforms/pseries/rtas-fadump.c';
const OPAL_FADUMP_C = 'arch/powerpc/platforms/powernv/opal-fadump.c';
const OPAL_DUMP_C = 'core/opal-dump.c';

/** The upstream functions the player cites, by name. */
export const UPSTREAM = {
  register_fadump: linux(
    FADUMP_C,
    'initialises the crash info header (init_fadump_header) and registers with firmware',
  ),
  registered_store: linux(FADUMP_C, '/sys/kernel/fadump/registered: 0 unregisters, 1 registers (again)'),
  fadump_create_elfcore_headers: linux(
    FADUMP_C,
    'before 6.10: the first kernel builds the elfcorehdr at registration, after the crash info header',
  ),
  ppc_panic_fadump_handler: linux(
    'arch/powerpc/kernel/setup-common.c',
    'the panic notifier that calls crash_fadump',
  ),
  system_reset_exception: linux('arch/powerpc/kernel/traps.c', 'a system reset (NMI) calls crash_fadump'),
  crash_fadump: linux(
    FADUMP_C,
    'fills the crash info header (crashing CPU, registers, CPU mask) and triggers firmware',
  ),
  fadump_process: linux(
    FADUMP_C,
    'since 6.10: the fadump kernel checks the crash info header and builds the elfcorehdr (fadump_setup_elfcorehdr_buf, fadump_populate_elfcorehdr)',
  ),
  is_fadump_header_compatible: linux(
    FADUMP_C,
    'since 6.10: refuses a crash info header with a wrong magic, byte order or size ("Fadump header is corrupted.")',
  ),
  release_mem_store: linux(
    FADUMP_C,
    '/sys/kernel/fadump/release_mem: 1 releases the reserved memory (fadump_invalidate_release_mem)',
  ),
  rtas_fadump_register: linux(RTAS_FADUMP_C, 'ibm,configure-kernel-dump with FADUMP_REGISTER'),
  rtas_fadump_unregister: linux(RTAS_FADUMP_C, 'ibm,configure-kernel-dump with FADUMP_UNREGISTER'),
  rtas_fadump_invalidate: linux(RTAS_FADUMP_C, 'ibm,configure-kernel-dump with FADUMP_INVALIDATE'),
  rtas_fadump_trigger: linux(RTAS_FADUMP_C, "pSeries' trigger: ibm,os-term through rtas_os_term"),
  rtas_os_term: linux('arch/powerpc/kernel/rtas.c', 'calls ibm,os-term with the panic message'),
  opal_fadump_register: linux(OPAL_FADUMP_C, 'OPAL_MPIPL_UPDATE with OPAL_MPIPL_ADD_RANGE, one per region'),
  opal_fadump_unregister: linux(OPAL_FADUMP_C, 'OPAL_MPIPL_UPDATE with OPAL_MPIPL_REMOVE_ALL'),
  opal_fadump_invalidate: linux(OPAL_FADUMP_C, 'OPAL_MPIPL_UPDATE with OPAL_MPIPL_FREE_PRESERVED_MEMORY'),
  opal_fadump_setup_metadata: linux(
    OPAL_FADUMP_C,
    'OPAL_MPIPL_REGISTER_TAG for the kernel metadata and boot memory',
  ),
  opal_fadump_dt_scan: linux(OPAL_FADUMP_C, 'OPAL_MPIPL_QUERY_TAG: finds the metadata of a dump to process'),
  opal_fadump_trigger: linux(OPAL_FADUMP_C, "PowerNV's trigger: OPAL_CEC_REBOOT2 with OPAL_REBOOT_MPIPL"),
  dlpar_add_lmb: linux('arch/powerpc/platforms/pseries/hotplug-memory.c', 'DLPAR adds an LMB (__add_memory)'),
  dlpar_remove_lmb: linux(
    'arch/powerpc/platforms/pseries/hotplug-memory.c',
    'DLPAR removes an LMB (__remove_memory); fadump memory is not removable',
  ),
  fadump_reserve_mem: linux(
    FADUMP_C,
    'reserves the crash area at boot ("Reserved …MB of memory at …"); in the fadump kernel says the dump is active',
  ),
  fadump_reserve_crash_area: linux(
    FADUMP_C,
    'reserves the memory kept for the dump in the fadump kernel ("Reserving …MB … for preserving crash data")',
  ),
  fadump_cma_init: linux(FADUMP_C, 'lends the reserved area to CMA while no dump is held'),
  fadump_free_reserved_memory: linux(
    FADUMP_C,
    'frees the reserved memory, once the dump is saved ("freeing reserved memory")',
  ),
  fadump_append_bootargs: linux(
    FADUMP_C,
    "since 6.10: appends the additional parameters to the fadump kernel's command line",
  ),
  rtas_fadump_dt_scan: linux(
    RTAS_FADUMP_C,
    "reads RTAS's fadump properties; an ibm,kernel-dump property means a dump is active",
  ),
  rtas_fadump_process: linux(
    RTAS_FADUMP_C,
    'before 6.10: checks the dump and the crash info header ("Crash info header is not valid.")',
  ),
  opal_fadump_process: linux(
    OPAL_FADUMP_C,
    'before 6.10: checks the dump and the crash info header ("Crash info header is not valid.")',
  ),
  dlpar_memory_add_by_count: linux(
    'arch/powerpc/platforms/pseries/hotplug-memory.c',
    'a DLPAR request to add N LMBs ("Attempting to hot-add N LMB(s)")',
  ),
  dlpar_memory_remove_by_count: linux(
    'arch/powerpc/platforms/pseries/hotplug-memory.c',
    'a DLPAR request to remove N LMBs ("Attempting to hot-remove N LMB(s)")',
  ),
  __handle_sysrq: linux('drivers/tty/sysrq.c', 'runs a sysrq key\'s action and says it ("Trigger a crash")'),
  start_kernel: linux('init/main.c', 'prints the kernel command line at boot'),
  mem_init_print_info: linux(
    'mm/mm_init.c',
    'prints the memory available at boot ("Memory: …K/…K available")',
  ),
  opal_mpipl_update: {
    project: 'skiboot',
    file: OPAL_DUMP_C,
    what: 'OPAL_MPIPL_UPDATE: adds, removes or frees ranges to preserve',
  },
  opal_mpipl_register_tag: {
    project: 'skiboot',
    file: OPAL_DUMP_C,
    what: 'OPAL_MPIPL_REGISTER_TAG: keeps a tag for the next boot',
  },
  opal_mpipl_query_tag: {
    project: 'skiboot',
    file: OPAL_DUMP_C,
    what: 'OPAL_MPIPL_QUERY_TAG: gives a tag kept from the crashed boot',
  },
  opal_cec_reboot2: {
    project: 'skiboot',
    file: 'core/platform.c',
    what: 'OPAL_CEC_REBOOT2: OPAL_REBOOT_MPIPL terminates into the MPIPL',
  },
  opal_mpipl_init: {
    project: 'skiboot',
    file: OPAL_DUMP_C,
    what: 'on the MPIPL boot: reads the preserved tags and the dump result',
  },
} as const satisfies Record<string, UpstreamFunction>;

export type UpstreamName = keyof typeof UPSTREAM;

/** ibm,configure-kernel-dump's first argument: register, unregister, invalidate. */
const CONFIGURE: Record<number, UpstreamName> = {
  1: 'rtas_fadump_register',
  2: 'rtas_fadump_unregister',
  3: 'rtas_fadump_invalidate',
};
/** OPAL_MPIPL_UPDATE's operation: ADD_RANGE, REMOVE_RANGE, REMOVE_ALL, FREE_PRESERVED_MEMORY. */
const MPIPL_UPDATE: Record<number, UpstreamName | undefined> = {
  0: 'opal_fadump_register',
  2: 'opal_fadump_unregister',
  3: 'opal_fadump_invalidate',
};

/** The upstream functions behind an event, caller first; empty when the model's own doing. */
export function upstreamOf(e: SimEvent): UpstreamName[] {
  switch (e.kind) {
    case 'call':
      if (e.detail.name === 'ibm,configure-kernel-dump') {
        const op = CONFIGURE[e.detail.args?.[0] ?? -1];
        return op ? [op] : [];
      }
      return e.detail.name === 'ibm,os-term' ? ['rtas_fadump_trigger', 'rtas_os_term'] : [];
    case 'opal-call':
      switch (e.detail.name) {
        case 'OPAL_MPIPL_UPDATE': {
          const caller = MPIPL_UPDATE[Number(e.detail.args[0])];
          return caller ? [caller, 'opal_mpipl_update'] : ['opal_mpipl_update'];
        }
        case 'OPAL_MPIPL_REGISTER_TAG':
          return ['opal_fadump_setup_metadata', 'opal_mpipl_register_tag'];
        case 'OPAL_MPIPL_QUERY_TAG':
          return ['opal_fadump_dt_scan', 'opal_mpipl_query_tag'];
        case 'OPAL_CEC_REBOOT2':
          return ['opal_fadump_trigger', 'opal_cec_reboot2'];
        default:
          return [];
      }
    case 'boot':
      return e.detail.mpiplBoot ? ['opal_mpipl_init'] : [];
    case 'elfcorehdr-built':
    case 'elfcorehdr-overflow':
      return ['register_fadump', 'fadump_create_elfcore_headers'];
    case 'fadump-registered':
      return ['register_fadump'];
    case 'fadump-unregistered':
      return ['registered_store'];
    case 'panic':
      return ['ppc_panic_fadump_handler', 'crash_fadump'];
    case 'nmi':
      return ['system_reset_exception', 'crash_fadump'];
    case 'vmcore-ready':
      // Since 6.10 the fadump kernel builds the elfcorehdr; before, it completed the first kernel's.
      return e.detail.built ? ['fadump_process'] : [];
    case 'dump-refused':
      return /Fadump header|Old magic|Endianness mismatch|header size mismatch/.test(e.detail.reason)
        ? ['fadump_process', 'is_fadump_header_compatible']
        : [];
    case 'dump-released':
      return ['release_mem_store'];
    case 'dlpar-assign':
      return ['dlpar_add_lmb'];
    case 'dlpar-unassign':
      return ['dlpar_remove_lmb'];
    default:
      return [];
  }
}

/**
 * The kernel console's lines by the function that prints them: a line's text (its timestamp cut)
 * against each pattern in turn.
 */
const PRINTED_BY: readonly [RegExp, UpstreamName][] = [
  [/^rtas fadump: Registration is successful!$/, 'rtas_fadump_register'],
  [/^opal fadump: Registration is successful!$/, 'opal_fadump_register'],
  [/^fadump: Reserved \d+MB of memory at /, 'fadump_reserve_mem'],
  [/^fadump: Firmware-assisted dump is active\.$/, 'fadump_reserve_mem'],
  [/^rtas fadump: Firmware-assisted dump is active\.$/, 'rtas_fadump_dt_scan'],
  [/^opal fadump: Firmware-assisted dump is active\.$/, 'opal_fadump_dt_scan'],
  [/^fadump: Reserving \d+MB of memory at \S+ for preserving crash data/, 'fadump_reserve_crash_area'],
  [/^fadump: Initialized .* cma area /, 'fadump_cma_init'],
  [/^fadump: freeing reserved memory /, 'fadump_free_reserved_memory'],
  [/^fadump: Updated cmdline: /, 'fadump_append_bootargs'],
  [/^opal fadump: Kernel metadata addr: /, 'opal_fadump_setup_metadata'],
  [/^pseries-hotplug-mem: Attempting to hot-add /, 'dlpar_memory_add_by_count'],
  [/^pseries-hotplug-mem: Attempting to hot-remove /, 'dlpar_memory_remove_by_count'],
  [
    /^fadump: (Fadump header is corrupted\.|Old magic number, |Endianness mismatch between |Fadump header size mismatch)/,
    'is_fadump_header_compatible',
  ],
  [/^rtas fadump: Crash info header is not valid\.$/, 'rtas_fadump_process'],
  [/^opal fadump: Crash info header is not valid\.$/, 'opal_fadump_process'],
  [/^sysrq: Trigger a crash$/, '__handle_sysrq'],
  [/^Kernel command line: /, 'start_kernel'],
  [/^Memory: \d+K\/\d+K available/, 'mem_init_print_info'],
];

/** The upstream function that prints a console line, when the table knows it. */
export function printedBy(line: string): UpstreamName | undefined {
  const text = line.replace(/^\[[^\]]*\] /, '');
  return PRINTED_BY.find(([re]) => re.test(text))?.[1];
}

/** A citation as the page shows it: "Linux crash_fadump() (arch/powerpc/kernel/fadump.c)". */
export function citeUpstream(names: readonly UpstreamName[]): string {
  return names.map((n) => `${UPSTREAM[n].project} ${n}() (${UPSTREAM[n].file})`).join(' → ');
}

/** docs/upstream.md: every upstream function the player cites, by project, with its file. */
export function upstreamDoc(): string {
  const out = [
    '<!-- Generated by `npm run docs` from UPSTREAM in scenarios/upstream.ts; do not edit by hand. -->',
    '# Where the behaviours come from upstream',
    '',
    "Each step of the report's player and the lab says which upstream function does what it shows,",
    'caller first ("Linux ppc_panic_fadump_handler() → crash_fadump()"), and each console line the',
    'function that prints it. These are the functions cited,',
    'with the file of the Linux or skiboot tree they are in; the layouts of the structures they fill are',
    'in [structures.md](structures.md).',
    '',
  ];
  for (const project of ['Linux', 'skiboot'] as const) {
    out.push(`## ${project}`, '', '| function | file | what it does |', '|---|---|---|');
    for (const [name, f] of Object.entries(UPSTREAM) as [UpstreamName, UpstreamFunction][])
      if (f.project === project) out.push(`| \`${name}()\` | \`${f.file}\` | ${f.what} |`);
    out.push('');
  }
  return out.join('\n');
}
