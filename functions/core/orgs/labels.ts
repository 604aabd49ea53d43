import anyAscii from 'any-ascii';

/**
 * The readable part of a collection name. Its own module: the transliteration table it loads (about
 * half a megabyte) is needed only where places are named (create, rename, move), not by every function.
 */

/** The longest readable part of a collection name; see {@link collectionLabel}. */
export const COLLECTION_LABEL_MAX = 40;

/**
 * The readable part of an organization's collection name, from its key: the key transliterated to
 * ASCII by the `any-ascii` package ("иван_петров" gives `ivan_petrov`, "東京" `dongjing`),
 * apostrophes dropped, lower case, every run outside `[a-z0-9]` folded to `_`, at most {@link COLLECTION_LABEL_MAX}
 * characters, possibly empty (a key of emoji-like letters). It need not be unique: a place's name is
 * made unique by a suffix of its own (see `#core/tenancy/placement-policy.ts`); it only helps an operator
 * recognise the collection.
 */
export function collectionLabel(slug: string): string {
  return anyAscii(slug)
    .replace(/['`]/g, '') // romanization's marks inside a word ("ь" gives "'"): "ольга" is `olga`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+/, '')
    .slice(0, COLLECTION_LABEL_MAX)
    .replace(/_+$/, '');
}
