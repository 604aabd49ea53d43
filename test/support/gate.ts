/**
 * A point in a run that a test holds until it lets it go: the first `pass()` (while armed) waits
 * there, and `reached` resolves when it does; every later `pass()` goes straight through.
 */
export function gate(armed = true) {
  let reached: () => void = () => {};
  let release: () => void = () => {};
  const reachedP = new Promise<void>((r) => {
    reached = r;
  });
  const releaseP = new Promise<void>((r) => {
    release = r;
  });
  return {
    arm: () => {
      armed = true;
    },
    pass: async () => {
      if (!armed) return;
      armed = false;
      reached();
      await releaseP;
    },
    reached: reachedP,
    release,
  };
}

export type Gate = ReturnType<typeof gate>;
