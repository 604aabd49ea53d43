import { describe } from 'vitest';
import { interruptedOperationsSuite } from '../support/interrupted-operations.ts';

describe('In collection mode', () => interruptedOperationsSuite('collection'));
