import type { Linter } from 'eslint';

export declare const coreFiles: string[];
export declare const coreExempt: string[];
export declare const boundaryRules: Linter.RulesRecord;
export declare const boundaryConfig: Linter.Config[];
