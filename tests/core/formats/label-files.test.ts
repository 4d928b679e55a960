import { describe, expect, it } from 'vitest';
import type { SourceImage } from '../../../src-main/core/formats/format';
import { withSplitOf } from '../../../src-main/core/formats/label-files';

const image: SourceImage = { file: 'a.jpg', faces: [] };

describe('withSplitOf', () => {
  it('takes the split from any word of the list file name, not only the first', () => {
    expect(withSplitOf('lists/my_testing.txt', image)).toEqual({ ...image, split: 'test' });
  });

  it('ignores the extension, however long, even when it is a split name', () => {
    expect(withSplitOf('lists/faces.test', image)).toEqual(image);
    expect(withSplitOf('lists/faces.v2.train', image)).toEqual(image);
  });
});
