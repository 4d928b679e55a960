/**
 * The schemas offered when creating a project. Ids are the ones stored in project.json; the
 * store checks them against the built-in schemas, so a stale id here fails with a clear error.
 */
export const LANDMARK_CHOICES = [
  { id: 'ibug68', label: '68 points (iBUG 300-W)' },
  { id: 'wflw98', label: '98 points (WFLW)' },
  { id: 'five', label: '5 points (eyes, nose, mouth)' },
] as const;

/** `''` stands for "no attribute set" because a <select> value is a string. */
export const ATTRIBUTE_CHOICES = [
  { id: '', label: 'None' },
  { id: 'mtfl', label: 'MTFL (gender, smile, glasses, pose)' },
] as const;
