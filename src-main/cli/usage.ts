/** Each command's usage line, apart from the commands so `--help` loads none of them. */
export const SERVE_USAGE =
  'face-studio serve [--port N] [--host 127.0.0.1] [--data-dir DIR] [--projects-root DIR] [--renderer-dir DIR]';
export const PROJECT_CREATE_USAGE =
  'face-studio project create DIR --name NAME [--landmarks ibug68|wflw98|five] [--attributes ID]';
export const PROJECT_INFO_USAGE = 'face-studio project info DIR';
