// The scenario file's schema (zod): the single definition of what a scenario file may say. It
// validates, gives the TypeScript type, and exports the JSON Schema editors use
// (scenarios/schema.json) and docs/scenarios.md. The steps come from the verb table (verbs.ts).

import { z } from 'zod';
import { PERSONALITY_NAMES } from '../firmware/rtas/personality.ts';
import { KERNEL_NAMES } from '../kernel-model/releases.ts';
import { count, duration, integer, STEP_SCHEMA, size } from './verbs.ts';

const kernelName = z.enum(KERNEL_NAMES);

export const SCENARIO_SCHEMA = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case words joined by hyphens')
    .optional()
    .describe('output subdirectory when several scenarios run; default: the file name'),
  description: z.string().optional().describe('what the scenario shows, one sentence'),
  machine: z
    .strictObject({
      platform: z
        .enum(['pseries', 'powernv'])
        .optional()
        .describe('pseries (RTAS) or powernv (OPAL); default pseries'),
      firmware: z
        .enum(PERSONALITY_NAMES)
        .optional()
        .describe('pSeries firmware personality; default powervm'),
      memory: size.optional().describe('assigned memory; default 8G'),
      lmbSize: size.optional().describe('LMB size, a power of two from 16M to 1G; default 256M'),
      cpus: z.number().int().min(1).max(2048).optional().describe('hardware threads; default 8'),
      smt: z
        .union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)])
        .optional()
        .describe('threads per core; default 1'),
      endian: z.enum(['le', 'be']).optional().describe('byte order of the first kernel; default le'),
      kernel: kernelName
        .optional()
        .describe(
          'first kernel: a release (6.9, 6.10, 6.12, 6.13, 6.15), legacy (6.9) or resilient (the newest)',
        ),
      captureKernel: kernelName.optional().describe('fadump kernel release; default: kernel'),
      captureEndian: z.enum(['le', 'be']).optional().describe('fadump kernel byte order; default: endian'),
      cmdline: z.string().optional().describe('kernel command line; default "root=/dev/sda2 ro fadump=on"'),
      seed: z
        .number()
        .int()
        .min(0)
        .max(0xffffffff)
        .optional()
        .describe('seed of every random choice; default 1'),
      notePids: z
        .boolean()
        .optional()
        .describe(
          'pr_pid = CPU + 1, crashing CPU first (for gdb; crash then gives CPUs the wrong registers)',
        ),
      bootMemRegions: z
        .number()
        .int()
        .min(1)
        .max(7)
        .optional()
        .describe('boot memory spread over this many regions (pseries)'),
      cycles: z.number().int().min(1).max(16).optional().describe('crash/capture cycles; default 1'),
    })
    .optional()
    .describe('the partition and its kernels'),
  dump: z
    .strictObject({
      format: z
        .enum(['elf', 'kdump'])
        .optional()
        .describe(
          'elf: /proc/vmcore as it is, or at a dump level as makedumpfile -E writes it; kdump: compressed as makedumpfile -c writes it; default elf',
        ),
      level: z
        .number()
        .int()
        .min(0)
        .max(31)
        .optional()
        .describe(
          "makedumpfile's -d (1 zero, 2 cache, 4 cache private, 8 user, 16 free); default 31 for kdump, 0 for elf",
        ),
    })
    .optional()
    .describe('how the kdump service in the fadump kernel saves the dump'),
  udev: z
    .strictObject({
      enabled: z.boolean().optional().describe('run the kdump udev rule; default true'),
      latency: duration.optional().describe('from a uevent to the rule running; default 5ms'),
      perEvent: duration.optional().describe('between echo 0 and echo 1 per re-registration; default 200ms'),
    })
    .optional()
    .describe('the kdump udev rule that reacts to memory events'),
  steps: z.array(STEP_SCHEMA).min(2).describe('boot, memory events, crash'),
  expect: z
    .strictObject({
      dump: z
        .enum(['captured', 'refused', 'not-triggered'])
        .optional()
        .describe('outcome of the (last) crash'),
      reason: z.string().optional().describe('text the refusal reason contains'),
      reRegistrations: count.optional().describe('re-registrations by the udev rule before the crash'),
      crash: z
        .strictObject({
          cpu: count.optional(),
          kind: z.enum(['panic', 'nmi']).optional(),
          trap: integer.optional().describe('pt_regs.trap of the crashing CPU: 0x300 panic, 0x100 NMI'),
        })
        .optional()
        .describe('the crash as the dump tells it: the CPU note holding the registers crash_fadump saved'),
      console: z.array(z.string()).optional().describe('lines some kernel printed'),
      ranges: z
        .array(z.strictObject({ start: integer, size }))
        .optional()
        .describe('the vmcore PT_LOAD ranges, exactly, in order (physical start and size)'),
      elfcorehdrOverflow: z
        .boolean()
        .optional()
        .describe('whether a legacy registration wrote its elfcorehdr past the reserved area'),
      pages: z
        .strictObject({
          zero: count.optional(),
          cache: count.optional(),
          cachePrivate: count.optional(),
          user: count.optional(),
          free: count.optional(),
          hwpoison: count.optional(),
          offline: count.optional(),
          remaining: count.optional(),
          total: count.optional(),
        })
        .optional()
        .describe(
          "pages as makedumpfile's report counts them, read from the dump file: left out by kind, remaining (kept, not zero) and total",
        ),
      verify: z
        .union([
          z.literal('exact'),
          z.strictObject({
            mismatchedBytes: count.optional(),
            missingBytes: count.optional(),
            extraBytes: count.optional(),
            notDumpedByDesignBytes: count.optional(),
            beyondLimitBytes: count
              .optional()
              .describe("memory above the crashed kernel's mem= limit, not dumped"),
            registerMismatches: count
              .optional()
              .describe('registers in CPU notes that differ from the CPU at the crash'),
            registersNotSavedByDesign: count
              .optional()
              .describe('registers the firmware does not save, held as 0 in the notes'),
            wronglyLeftOutPages: count
              .optional()
              .describe('pages the dump left out that its dump level does not allow'),
            missingCpus: z.array(count).optional().describe('CPUs with no note in the dump'),
            extraCpus: z
              .array(count)
              .optional()
              .describe('notes for CPUs that did not exist, or a second one'),
            vmcoreinfoMismatch: z
              .array(z.string())
              .optional()
              .describe('VMCOREINFO keys that differ from the crash-time note'),
          }),
        ])
        .optional()
        .describe(
          'exact (every byte, register, CPU note and VMCOREINFO key matches; no memory missing or extra), or chosen counts',
        ),
    })
    .optional()
    .describe('what must hold after the (last) crash; a failure exits 1'),
});

export type ScenarioFile = z.infer<typeof SCENARIO_SCHEMA>;
