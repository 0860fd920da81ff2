export { Re2, type Re2Match } from './re2';
export { Re2SyntaxError } from './syntax';
