/** Each command's usage line, apart from the commands so `--help` loads none of them. */
export const SERVE_USAGE =
  'face-studio serve [--port N] [--host 127.0.0.1] [--data-dir DIR] [--projects-root DIR] [--renderer-dir DIR]';
export const PROJECT_CREATE_USAGE =
  'face-studio project create DIR [--name NAME] [--landmarks ibug68|wflw98|five|FILE.json] [--attributes ID]';
export const PROJECT_INFO_USAGE = 'face-studio project info DIR';
export const PROJECT_CONSOLIDATE_USAGE = 'face-studio project consolidate DIR';
export const IMPORT_USAGE =
  'face-studio import DIR --project P [--format images|pts|coco|mtfl|celeba|dlib|yolo|class-folders|studio] [--split train|val|test|pool] [--subject-pattern RE] [--curate] [--lazy-thumbnails] [--skip-bad] [--overwrite-labels] [--copy]';
export const SPLITS_USAGE =
  'face-studio splits --project P [--ratio TRAIN,VAL,TEST] [--seed S] [--subject-pattern RE] [--all] | --from FILE [--split train|val|test|pool]';
export const EXPORT_USAGE =
  'face-studio export --project P --format pts|coco|mtfl|celeba|dlib|yolo|class-folders|studio [--unconfirmed leave-out|mark] OUT | --model DIR|MODEL_ID [--project P] --format onnx|tfjs OUT';
export const PRETRAIN_USAGE =
  'face-studio pretrain --project P [--config file.json] [--set key=value]… [--resume RUN_ID | --export-torch DIR [--path-map OLD=NEW]…]';
export const IMPORT_BACKBONE_USAGE =
  'face-studio import-backbone FILE.safetensors --project P [--id MODEL_ID]';
export const FINETUNE_USAGE =
  'face-studio finetune --project P --task landmarks|attributes|expression [--backbone MODEL_ID_OR_DIR] [--config file.json] [--set key=value]… [--resume RUN_ID]';
export const PREDICT_USAGE =
  'face-studio predict --model DIR --out DIR [--format json|pts|coco|dlib|yolo|studio|celeba|class-folders] [--batch N] [--whole-image] [--labels-only] IMAGES_OR_FOLDERS…';
export const EVAL_USAGE =
  'face-studio eval --model DIR --data DIR --format pts|coco|mtfl|celeba|dlib|yolo|class-folders|studio [--split train|val|test] [--limit N] [--batch N] [--landmarks ibug68|wflw98|five] [--crop inference|true-points]';
export const COMPARE_USAGE =
  'face-studio compare --project P [--task landmarks|attributes|expression] [--backbones ID,…]';
export const DOCTOR_USAGE = 'face-studio doctor [--json]';
