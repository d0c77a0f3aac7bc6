/** The scale harness's child processes: the one process helper, tests/helpers/processes.ts. */
export * from '../helpers/processes'
