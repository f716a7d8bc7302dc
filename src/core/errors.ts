/**
 * The error thrown for bad input anywhere in the project: a file, a CLI option, a request field. It names where
 * the problem is (file and line, or field) and what was expected, so a user can fix it without reading code.
 * The CLI prints its message without a stack trace and exits with status 2.
 */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    message: string,
    readonly where: { file?: string; line?: number; field?: string } = {},
  ) {
    super(InputError.format(message, where));
  }

  private static format(message: string, where: { file?: string; line?: number; field?: string }): string {
    const place = [
      where.file && (where.line !== undefined ? `${where.file}:${where.line}` : where.file),
      where.field && `field "${where.field}"`,
    ]
      .filter(Boolean)
      .join(", ");
    return place ? `${place}: ${message}` : message;
  }
}
